// The story grammar. A story is a plot (lost thing, sharing, a fear, making
// something, a hurt animal, a warning ignored, a race, a rainy day, a gift, a
// discovery) told in four beats: setup, problem, resolution, moral. Every
// sentence is a template chosen from several variants and filled from word
// lists, so the same few hundred words recombine into millions of distinct
// stories while staying grammatical: the model has real structure to learn
// (who "she" is, what was lost, that the lost thing is found in the end).
//
// Template syntax (expanded by Expander below):
//   {x}      the value of slot x (a one-character name, see Slots)
//   [a|b|c]  one alternative at random; alternatives may contain {x} and [..]
//   ^        capitalize the next letter written
//   ~        write "a " or "an " to suit the next word written
#include "train/story_corpus.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <unordered_set>

namespace quantlab {

namespace {

using List = std::vector<const char*>;

const List kGirlNames = {"Lily", "Mia", "Emma", "Sara", "Lucy", "Anna", "Zoe", "Ella", "Rose", "Ruby", "Amy", "Kate",
                         "Lola", "Nora", "Ivy", "Grace", "Daisy", "Molly", "Sophie", "Chloe", "Hannah", "Julia",
                         "Maya", "Bella", "Olivia", "Emily", "Alice", "Clara", "Jenny", "Polly", "Susie", "Tina",
                         "Nina", "Luna", "Ellie", "Fiona", "Hazel", "Jade", "Kim", "Layla"};
const List kBoyNames = {"Tom", "Ben", "Max", "Sam", "Jack", "Leo", "Tim", "Jake", "Finn", "Oliver", "Noah",
                        "Lucas", "Henry", "Oscar", "Toby", "Charlie", "Harry", "Joe", "Dan", "Alex", "Bobby", "Eddie",
                        "Felix", "George", "Hugo", "Ivan", "Kevin", "Liam", "Milo", "Ned", "Otto", "Pete", "Ryan",
                        "Teddy", "Victor", "Will", "Zack", "Adam", "Billy"};
const List kPetNames = {"Spot", "Fluffy", "Buddy", "Coco", "Pip", "Sunny", "Bubbles", "Patch", "Whiskers", "Rusty",
                        "Snowy", "Pepper", "Biscuit", "Muffin", "Ziggy", "Socks", "Bingo", "Honey", "Peanut",
                        "Tiger", "Button", "Goldie", "Lucky", "Mango", "Nutmeg"};
const List kAnimals = {"dog", "cat", "bunny", "bear", "bird", "fox", "mouse", "duck", "frog", "owl", "pig", "lamb",
                       "puppy", "kitten", "turtle", "squirrel", "horse", "cow", "goat", "hen", "lion", "monkey",
                       "elephant", "deer", "fish", "bee", "butterfly", "penguin", "tiger", "hippo"};
const List kTraits = {"little", "small", "kind", "brave", "shy", "happy", "curious", "funny", "clever", "gentle",
                      "friendly", "busy", "cheerful", "playful", "quiet", "young", "sweet", "smart", "silly", "good"};
const List kPlaces = {"park", "forest", "garden", "beach", "farm", "pond", "school", "kitchen", "hill", "river",
                      "town", "market", "zoo", "library", "meadow", "backyard", "playground", "lake", "field",
                      "woods", "village", "yard", "barn", "castle", "house", "street", "shop", "jungle", "island",
                      "valley"};
const List kObjects = {"ball", "kite", "book", "hat", "doll", "toy car", "teddy bear", "box", "cup", "shoe",
                       "balloon", "drum", "boat", "key", "ring", "blanket", "crayon", "puzzle", "bike", "basket",
                       "shell", "stone", "feather", "map", "lamp", "scarf", "bell", "train", "robot", "umbrella",
                       "spoon", "sock", "jar", "flag", "whistle", "necklace", "bucket", "rope", "sticker", "button"};
const List kFoods = {"apple", "cookie", "cake", "banana", "sandwich", "pie", "carrot", "orange", "muffin", "candy",
                     "pear", "cupcake", "piece of bread", "bowl of soup", "peach", "ice cream", "plum", "pizza",
                     "bowl of berries", "honey cake"};
const List kColors = {"red", "blue", "green", "yellow", "pink", "purple", "orange", "white", "black", "brown",
                      "gold", "silver", "gray"};
const List kSizes = {"big", "small", "tiny", "huge", "little", "long", "round", "soft", "shiny", "old", "new",
                     "pretty", "fluffy", "heavy", "bright"};
const List kHappy = {"happy", "glad", "proud", "excited", "joyful", "calm", "thankful"};
const List kSad = {"sad", "upset", "worried", "scared", "lonely", "angry", "grumpy", "tired"};
const List kParents = {"mom", "dad", "grandma", "grandpa", "aunt", "uncle"};
const List kHidingSpots = {"under the bed", "behind the door", "in the tall grass", "under a big tree",
                           "next to the pond", "inside a box", "under the table", "behind a rock",
                           "in the toy box", "under a pile of leaves", "on top of the shelf", "near the fence",
                           "in the sand", "behind the sofa", "under a bush", "in the garden"};
const List kFears = {"the dark", "the loud thunder", "the big waves", "the tall slide", "the deep water",
                     "the big dog next door", "the strange noise", "the high tree", "the dark cave",
                     "the first day of school", "the big storm", "the old bridge"};
const List kMakes = {"a sand castle", "a tower of blocks", "a cake", "a paper boat", "a kite", "a bird house",
                     "a snowman", "a card", "a drawing", "a fort", "a boat of sticks", "a hat of leaves",
                     "a tree house", "a necklace of flowers", "a robot", "a song"};
const List kGames = {"tag", "hide and seek", "catch", "ball", "pretend", "a game of jump", "house", "chase"};
const List kActs = {"play", "run", "jump", "dance", "sing", "swim", "climb", "read", "draw", "paint", "explore",
                    "skip", "look at the clouds", "pick flowers", "build things", "ride a bike", "fly a kite",
                    "watch the birds"};
const List kWeather = {"sunny", "warm", "bright", "windy", "cold", "cloudy", "rainy", "snowy", "quiet", "lovely"};
const List kFinds = {"a shiny coin", "a little key", "an old map", "a tiny door", "a magic stone", "a lost puppy",
                     "a secret path", "a small box", "a golden egg", "a big shell", "a funny hat",
                     "a note in a bottle", "a baby bird", "a sparkly ring"};

// Who a story is about. Animals get a pet name and a random sex so "he" and
// "she" both appear with every kind of character.
struct Actor {
    const char* name;
    const char* kind;
    bool female;
};

class Expander {
public:
    Expander(SplitMix64& rng, std::string& out) : rng_(rng), out_(out) { slots_.fill(nullptr); }

    void set(char k, const char* v) { slots_[size_t(uint8_t(k))] = v; }
    const char* get(char k) const { return slots_[size_t(uint8_t(k))]; }

    template <class L>
    const char* pick(const L& list) {
        return list[rng_.below(uint32_t(list.size()))];
    }

    // One sentence (or clause) from a template, followed by a space unless it
    // ends the paragraph: the caller calls end_paragraph().
    void say(const char* tpl) {
        if (!out_.empty() && out_.back() != '\n') out_.push_back(' ');
        expand(tpl, tpl + std::strlen(tpl));
    }
    void say_one(const List& tpls) { say(pick(tpls)); }
    void end_paragraph() { out_.push_back('\n'); }

private:
    void put_word_start(const char* s) {
        if (article_) {
            article_ = false;
            const char c = char(s[0] | 0x20);
            out_ += (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') ? (cap_ ? "An " : "an ")
                                                                                  : (cap_ ? "A " : "a ");
            cap_ = false;
        }
    }
    void put(const char* s, size_t n) {
        if (n == 0) return;
        if ((article_ || cap_) && !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
            out_.append(s, 1);
            put(s + 1, n - 1);
            return;
        }
        put_word_start(s);
        size_t start = out_.size();
        out_.append(s, n);
        if (cap_) {
            cap_ = false;
            if (out_[start] >= 'a' && out_[start] <= 'z') out_[start] = char(out_[start] - 32);
        }
    }

    void expand(const char* b, const char* e) {
        const char* lit = b;
        for (const char* p = b; p < e;) {
            const char c = *p;
            if (c != '{' && c != '[' && c != '^' && c != '~') {
                ++p;
                continue;
            }
            put(lit, size_t(p - lit));
            if (c == '^') {
                cap_ = true;
                ++p;
            } else if (c == '~') {
                article_ = true;
                ++p;
            } else if (c == '{') {
                const char* v = get(p[1]);
                put(v ? v : "", v ? std::strlen(v) : 0);
                p += 3;
            } else {
                // Find the matching ']' and the top-level '|' separators.
                const char* alts[16];
                int n_alts = 0;
                int depth = 0;
                const char* q = p + 1;
                alts[n_alts++] = q;
                for (; q < e; ++q) {
                    if (*q == '[') ++depth;
                    else if (*q == ']') {
                        if (depth == 0) break;
                        --depth;
                    } else if (*q == '|' && depth == 0 && n_alts < 15) {
                        alts[n_alts++] = q + 1;
                    }
                }
                alts[n_alts] = q + 1;  // one past ']' marks the end of the last alternative
                const int k = int(rng_.below(uint32_t(n_alts)));
                expand(alts[k], alts[k + 1] - 1);
                p = q + 1;
            }
            lit = p;
        }
        put(lit, size_t(e - lit));
    }

    SplitMix64& rng_;
    std::string& out_;
    std::array<const char*, 128> slots_;
    bool cap_ = false;
    bool article_ = false;
};

}  // namespace

// Slots: n name, k kind (girl, dog...), h he/she, m him/her, s his/her, a trait
// of the hero; f g j q y: the friend's name, he/she, him/her, his/her, kind;
// o object, c colour, z size, p place, r parent, v parent's he/she,
// t food, l hiding spot, x fear/thing to make/discovery, d a happy feeling,
// b a sad feeling, w weather, u activity, i a game.
struct StoryGenerator::Impl {
    static Actor make_actor(SplitMix64& rng, const char* avoid) {
        for (;;) {
            Actor a{};
            const uint32_t r = rng.below(10);
            if (r < 4) {
                a = {kGirlNames[rng.below(uint32_t(kGirlNames.size()))], "girl", true};
            } else if (r < 8) {
                a = {kBoyNames[rng.below(uint32_t(kBoyNames.size()))], "boy", false};
            } else {
                a = {kPetNames[rng.below(uint32_t(kPetNames.size()))], kAnimals[rng.below(uint32_t(kAnimals.size()))],
                     rng.chance(0.5)};
            }
            if (!avoid || std::strcmp(a.name, avoid) != 0) return a;
        }
    }

    static void cast(Expander& x, SplitMix64& rng) {
        const Actor hero = make_actor(rng, nullptr);
        const Actor friend_ = make_actor(rng, hero.name);
        x.set('n', hero.name);
        x.set('k', hero.kind);
        x.set('h', hero.female ? "she" : "he");
        x.set('m', hero.female ? "her" : "him");
        x.set('s', hero.female ? "her" : "his");
        x.set('f', friend_.name);
        x.set('y', friend_.kind);
        x.set('g', friend_.female ? "she" : "he");
        x.set('j', friend_.female ? "her" : "him");
        x.set('q', friend_.female ? "her" : "his");
        x.set('a', x.pick(kTraits));
        x.set('o', x.pick(kObjects));
        x.set('c', x.pick(kColors));
        x.set('z', x.pick(kSizes));
        x.set('p', x.pick(kPlaces));
        const char* parent = x.pick(kParents);
        x.set('r', parent);
        x.set('v', (!std::strcmp(parent, "mom") || !std::strcmp(parent, "grandma") || !std::strcmp(parent, "aunt"))
                       ? "she"
                       : "he");
        x.set('t', x.pick(kFoods));
        x.set('l', x.pick(kHidingSpots));
        x.set('d', x.pick(kHappy));
        x.set('b', x.pick(kSad));
        x.set('w', x.pick(kWeather));
        x.set('u', x.pick(kActs));
        x.set('i', x.pick(kGames));
    }

    static void opening(Expander& x) {
        x.say_one({"Once upon a time, there was ~{a} {k} named {n}.",
                   "Once upon a time, in ~[small|big|quiet|sunny|little] [town|village|house|forest], there lived ~{a} {k} named {n}.",
                   "There once was ~{a} {k} called {n}.",
                   "{n} was ~{a} {k} who loved to {u}.",
                   "Once there was ~{k} named {n}. ^{h} was very {a}.",
                   "Long ago, there was ~{a} {k}. ^{s} name was {n}.",
                   "In ~[small|big|old|pretty] house near the {p}, there lived ~{a} {k} named {n}."});
        x.say_one({"^{h} loved to {u} every day.", "^{n} liked to {u} with {s} friends.",
                   "Every [morning|day|afternoon], {n} went to the {p} to {u}.",
                   "^{h} had ~{z} {c} {o} that {h} loved very much.",
                   "^{n} lived with {s} {r} and {s} best friend, ~{y} named {f}.",
                   "^{h} always wanted to see new things.", "^{n} was always [kind|nice|polite] to everyone."});
    }
};

namespace {

// The morals end a sentence begun by one of these lead-ins; they are joined
// by expand() of a single template so no stray space is written.
const char* const kMoralLead =
    "[In the end, {n} learned that|From that day on, {n} knew that|^{n} learned that|"
    "The lesson of the story is that|That day, {n} learned that|And so {n} learned that]";

std::string with_lead(const char* moral) { return std::string(kMoralLead) + " " + moral; }

void plot_lost(Expander& x, SplitMix64& rng) {
    x.say_one({"^{n} had ~{z} {c} {o}. ^{h} took it everywhere [with {m}|{h} went].",
               "^{n}'s favorite toy was ~{c} {o}. It was {z} and [pretty|special|shiny].",
               "One day, {s} {r} gave {m} ~{c} {o}. {n} loved it very much.",
               "^{n} had ~{c} {o} that {s} {r} gave {m} for {s} birthday."});
    x.end_paragraph();
    x.say_one({"One day, {n} went to the {p} to {u}.", "One [sunny|windy|cold|warm] day, {n} took the {o} to the {p}.",
               "[Then|One day|After lunch], {n} [played|ran|walked] in the {p} with the {o}."});
    x.say_one({"When {h} looked [down|around|back], the {o} was gone!", "But then {h} could not find {s} {o}.",
               "After a while, {n} saw that the {o} was not there.",
               "Suddenly, the wind [blew|pushed] the {o} away, and {n} could not see it."});
    x.say_one({"^{n} felt very {b}. ^{h} [began to cry|sat down and cried|did not know what to do].",
               "^{n} was {b} because {h} loved the {o} so much.",
               "\"Oh no! Where is my {o}?\" {n} [cried|said|asked]."});
    x.end_paragraph();
    x.say_one({"^{s} friend {f} [came by|saw {m}|heard {m}]. \"What is wrong?\" [asked {f}|{f} asked].",
               "Then {f} the {y} came [over|to {m}]. \"Why are you {b}?\" {g} asked.",
               "^{f} saw that {n} was {b}, so {g} came to help."});
    x.say_one({"\"I lost my {o},\" said {n}.", "\"My {c} {o} is gone,\" {n} said [sadly|with a small voice].",
               "^{n} told {f} about the {o}."});
    x.say_one({"\"Don't worry, I will help you find it,\" said {f}.", "\"Let's look for it together!\" said {f}.",
               "^{f} said, \"We can find it if we look [hard|carefully|together].\""});
    x.say_one({"They looked [everywhere|all over the {p}|high and low].",
               "They looked under the [bench|swing|slide|table] and behind the [trees|rocks|flowers|house].",
               "First they looked [near the gate|by the water|in the grass], but it was not there."});
    x.say_one({"At last, {f} found the {o} {l}!", "Then {n} saw something {c} {l}. It was the {o}!",
               "Finally, they found the {o} {l}."});
    x.end_paragraph();
    x.say_one({"^{n} was so {d}. \"Thank you, {f}!\" {h} said.", "^{n} hugged {f}. \"You are a good friend,\" {h} said.",
               "^{n} smiled and held the {o} [tight|close]. ^{h} thanked {f} [again and again|with a big hug]."});
    x.say(with_lead("[good friends always help each other|it is good to ask for help|friends make hard things "
                    "easy|{h} should take good care of {s} things].")
              .c_str());
    (void)rng;
}

void plot_share(Expander& x, SplitMix64&) {
    x.say_one({"One day, {n} had ~{z} {t}. It looked [very good|so yummy|sweet and fresh].",
               "^{n}'s {r} made ~{t} for {m}. ^{n} was very {d}.",
               "^{n} got ~{c} {o} from {s} {r}. It was the best {o} in the {p}."});
    x.say_one({"^{f} the {y} saw it and wanted some too.", "Then {f} came by. ^{g} looked at it with big eyes.",
               "^{s} friend {f} asked, \"Can I have some, please?\""});
    x.end_paragraph();
    x.say_one({"But {n} did not want to share. \"It is mine!\" {h} said.",
               "^{n} said, \"No, this is all for me.\"", "^{n} held it close and [said no|turned away]."});
    x.say_one({"^{f} felt {b} and walked away.", "^{f} was {b}. ^{g} sat alone [under a tree|by the {p}|on a rock].",
               "^{f} looked down and did not say anything."});
    x.say_one({"Then {n} did not feel {d} anymore.", "^{n} [looked at|thought about] {f}. ^{h} felt bad inside.",
               "Soon {n} felt lonely, because playing alone was not fun."});
    x.end_paragraph();
    x.say_one({"So {n} went to {f} and said, \"I am sorry. Let's share!\"",
               "^{n} ran to {f}. \"Here, you can have half,\" {h} said.",
               "^{n} gave {f} a big piece and said, \"Sharing is better.\""});
    x.say_one({"^{f} smiled. \"Thank you, {n}!\"", "They [ate|played] together and [laughed|smiled] all day.",
               "^{f} was so {d}, and {n} was {d} too."});
    x.say(with_lead("[sharing makes everyone happy|it is fun to share with friends|being kind is better than "
                    "having everything|a friend is worth more than ~{t}].")
              .c_str());
}

void plot_fear(Expander& x, SplitMix64& rng) {
    x.set('x', x.pick(kFears));
    x.say_one({"^{n} was afraid of {x}.", "There was one thing {n} did not like: {x}.",
               "^{n} was brave, but {h} was scared of {x}."});
    x.say_one({"Every time {h} [saw|thought about|heard about] {x}, {h} [hid|shook|closed {s} eyes].",
               "^{h} did not want to go near {x}.", "It made {m} feel {b} and small."});
    x.end_paragraph();
    x.say_one({"One [day|night|evening], {n} had to face {x}.", "One day, {s} {r} said, \"Let's go to the {p} today.\"",
               "Then one day, {x} was right in front of {m}."});
    x.say_one({"^{n} held {s} {r}'s hand. \"I am scared,\" {h} said.",
               "\"I can't do it,\" said {n}. ^{h} wanted to run home.", "^{n} stopped and did not move."});
    x.say_one({"^{s} {r} said, \"It is okay to be scared. I am here with you.\"",
               "^{s} {r} smiled and said, \"Take a deep breath. You are braver than you think.\"",
               "^{f} the {y} said, \"I will stay with you. We can do it together.\""});
    x.end_paragraph();
    x.say_one({"^{n} took a deep breath and tried.", "So {n} counted to three and [went on|stepped forward|looked up].",
               "Slowly, {n} took one small step, then another."});
    x.say_one({"It was not so bad after all!", "Soon {h} was not scared anymore.", "^{h} did it!"});
    x.say_one({"^{n} [laughed|smiled|jumped up and down]. ^{h} felt {d} and brave.",
               "\"I did it!\" {n} [shouted|said with a big smile]."});
    if (rng.chance(0.7))
        x.say(with_lead("[being brave does not mean you are never scared|it is good to try, even when you are "
                        "scared|friends and family make us brave|things are not so scary when you face them].")
                  .c_str());
}

void plot_make(Expander& x, SplitMix64&) {
    x.set('x', x.pick(kMakes));
    x.say_one({"One day, {n} wanted to make {x}.", "^{n} had a plan. ^{h} wanted to make {x} for {s} {r}.",
               "It was ~{w} day, and {n} wanted to make {x}."});
    x.say_one({"^{h} got everything {h} needed and started to work.", "^{h} worked [hard|all morning|for a long time].",
               "^{h} used [glue|paper|sticks|sand|blocks|flour|paint] and a lot of [love|care|time]."});
    x.end_paragraph();
    x.say_one({"But then it fell [down|apart]!", "But it did not look right. It was [all wrong|too small|a big mess].",
               "Oh no! The wind came and broke it."});
    x.say_one({"^{n} felt {b}. \"I can't do it,\" {h} said.", "^{n} wanted to stop and give up.",
               "^{n} sat down and [cried|sighed|looked at the mess]."});
    x.say_one({"Then {f} came. \"Let me help you,\" {g} said.",
               "^{s} {r} said, \"Try again. This time, go slow.\"",
               "^{f} the {y} saw {m} and said, \"We can make it together!\""});
    x.end_paragraph();
    x.say_one({"So they tried again, [slowly|carefully|step by step].", "This time, {n} was [patient|careful] and did not rush.",
               "They worked together and [laughed|sang|talked] as they worked."});
    x.say_one({"At last, it was done! It was the best {x} [ever|in the {p}].", "Soon they had made {x}. It looked [great|beautiful|wonderful].",
               "In the end, the {x} was ready, and it was [big|pretty|perfect]."});
    x.say_one({"^{n} felt so {d}.", "Everyone [clapped|smiled|cheered] for {n}.", "^{s} {r} said, \"Good job, {n}!\""});
    x.say(with_lead("[if you try again, you can do it|working together makes things easier|it is okay to make "
                    "mistakes|hard work pays off].")
              .c_str());
}

void plot_animal(Expander& x, SplitMix64&) {
    x.set('x', x.pick(kAnimals));
    x.say_one({"One day, {n} was walking in the {p} when {h} heard a [small|soft|sad] sound.",
               "One ~{w} morning, {n} went to the {p}.", "While {n} was playing in the {p}, {h} saw something move."});
    x.say_one({"It was ~{x}. Its leg was hurt, and it could not [walk|run|fly].",
               "There was a little {x} [on the ground|under a bush|near the water]. It was hurt.",
               "It was a baby {x}. It was cold and alone."});
    x.end_paragraph();
    x.say_one({"\"Poor little {x},\" said {n}. \"I will help you.\"",
               "^{n} picked up the {x} [very gently|slowly|with care].", "^{n} did not want the {x} to be {b}."});
    x.say_one({"^{h} took it home and showed it to {s} {r}.", "^{h} made a soft bed for it in a box.",
               "^{h} gave it water and a little [food|bread|seeds]."});
    x.say_one({"^{s} {r} said, \"You are very kind, {n}.\"", "Every day, {n} took care of the {x}.",
               "^{n} sang to the {x} so it would not be scared."});
    x.end_paragraph();
    x.say_one({"Soon the {x} was strong again.", "After a few days, the {x} was all better.",
               "One morning, the {x} could [walk|run|fly] again!"});
    x.say_one({"^{n} let it go [back to the {p}|outside]. \"Goodbye, little {x}!\" {h} said.",
               "The {x} [went|ran|flew] away, but it came back to see {n} every day."});
    x.say_one({"^{n} felt {d} inside.", "^{n} smiled. ^{h} had made a new friend.",
               "It was the best day of {s} life."});
    x.say(with_lead("[it is good to help those who need it|kindness makes the world better|all animals need "
                    "love and care|a kind heart makes new friends].")
              .c_str());
}

void plot_warning(Expander& x, SplitMix64&) {
    x.set('x', x.pick(kPlaces));
    x.say_one({"^{n}'s {r} said, \"Do not go near the {x} alone. It is not safe.\"",
               "\"Stay close to me,\" said {s} {r}. \"Do not [run off|go too far].\"",
               "^{s} {r} told {m}, \"Don't play with the {o} near the [road|water|stairs].\""});
    x.say_one({"^{n} said, \"Okay,\" but {h} really wanted to [go|see|play].", "^{n} nodded, but {h} was very curious.",
               "But {n} did not listen."});
    x.end_paragraph();
    x.say_one({"When no one was looking, {n} [went|ran|sneaked] to the {x}.",
               "Later, {n} went to the {x} to {u} all alone."});
    x.say_one({"At first it was fun.", "^{h} [laughed|played|ran around] and felt {d}."});
    x.say_one({"But then {h} [slipped and fell|got lost|hurt {s} knee|got stuck].",
               "Then it started to get dark, and {n} did not know the way home.",
               "Suddenly, [a big dog barked|the water came up|a branch broke], and {n} was scared."});
    x.say_one({"\"Help!\" {n} [cried|shouted|called].", "^{n} wished {h} had listened to {s} {r}."});
    x.end_paragraph();
    x.say_one({"^{s} {r} heard {m} and came running.", "Soon {s} {r} found {m} and held {m} tight.",
               "^{f} heard {m} and ran to get {s} {r}."});
    x.say_one({"\"I am sorry,\" said {n}. \"I should have listened.\"", "^{n} said sorry, and {s} {r} gave {m} a hug.",
               "\"Are you okay?\" asked {s} {r}. ^{n} nodded and said sorry."});
    x.say(with_lead("[it is important to listen to your {r}|rules keep us safe|{h} should listen when someone "
                    "says no|grown-ups know best when things are not safe].")
              .c_str());
}

void plot_race(Expander& x, SplitMix64&) {
    x.say_one({"^{n} and {f} were best friends. They loved to [run|race|play {i}] in the {p}.",
               "One day, {n} and {f} the {y} had a race in the {p}.",
               "^{n} said to {f}, \"Let's race to the big tree!\""});
    x.say_one({"\"I will win!\" said {n}. \"No, I will!\" said {f}.", "They both wanted to win very much.",
               "\"Ready, set, go!\" said {s} {r}, and they ran."});
    x.end_paragraph();
    x.say_one({"^{n} was fast, but {f} was fast too.", "They ran and ran [past the flowers|over the hill|by the pond]."});
    x.say_one({"Then {f} [fell down|tripped on a rock|hurt {q} foot].", "Suddenly, {f} slipped and fell in the mud."});
    x.say_one({"^{n} could win now, but {h} stopped.", "^{n} saw {f} on the ground and did not keep running."});
    x.say_one({"\"Are you okay?\" {n} asked, and {h} helped {j} up.",
               "^{h} ran back and gave {f} ~[hand|hug]. \"Let's finish together,\" {h} said."});
    x.end_paragraph();
    x.say_one({"They walked to the tree together, side by side.", "They finished the race [together|at the same time|hand in hand]."});
    x.say_one({"Everyone clapped for them.", "^{f} smiled. \"You are the best friend ever,\" {g} said.",
               "They laughed and [sat in the sun|ate ~{t}|played {i}]."});
    x.say(with_lead("[being a good friend is better than winning|helping others is the real win|friends "
                    "matter more than games].")
              .c_str());
}

void plot_rain(Expander& x, SplitMix64&) {
    x.say_one({"One morning, {n} wanted to go to the {p} to {u}.", "^{n} had a plan to {u} in the {p} all day."});
    x.say_one({"But when {h} looked outside, it was raining [hard|a lot|and the sky was gray].",
               "But it began to rain. Big drops [fell on the window|hit the roof]."});
    x.say_one({"^{n} felt {b}. \"Now I can't go out,\" {h} said.", "\"This is the worst day,\" {n} said with a frown."});
    x.end_paragraph();
    x.say_one({"^{s} {r} said, \"We can have fun inside too.\"", "Then {f} came over with ~{c} {o}."});
    x.say_one({"They [made a fort with blankets|drew pictures|baked ~{t}|played {i}|read a book about ~{x}].",
               "They built a big tower and played {i} in the [living room|kitchen|hall]."});
    x.say_one({"^{n} laughed and forgot about the rain.", "It was so much fun that {n} did not want to stop."});
    x.end_paragraph();
    x.say_one({"Later, the sun came out, and there was a [big|pretty|bright] rainbow in the sky.",
               "When the rain stopped, they ran outside and jumped in the puddles."});
    x.say_one({"\"This was a good day after all,\" said {n}.", "^{n} felt {d}."});
    x.say(with_lead("[you can have fun on any day|a bad day can turn into a good day|being with friends makes "
                    "every day better].")
              .c_str());
}

void plot_gift(Expander& x, SplitMix64&) {
    x.say_one({"Tomorrow was {f}'s birthday.", "It was almost {s} {r}'s birthday, and {n} wanted to give a gift."});
    x.say_one({"^{n} wanted to give ~[special|nice|pretty] gift, but {h} did not have any money.",
               "^{n} thought and thought. What could {h} give?"});
    x.end_paragraph();
    x.say_one({"Then {h} had an idea. ^{h} would make something!", "^{n} went to the {p} to look for something nice."});
    x.say_one({"^{h} found some [flowers|shells|pretty stones|leaves] and made a [card|necklace|picture|crown].",
               "^{h} drew a picture of them together with {s} {c} crayon."});
    x.say_one({"It was not perfect, but {h} made it with love.", "^{h} wrapped it in {c} paper."});
    x.end_paragraph();
    x.say_one({"The next day, {n} gave the gift.", "At the party, {n} gave the gift with a shy smile."});
    x.say_one({"\"I love it!\" [said {f}|was the answer]. \"It is the best gift ever!\"", "There was a big smile and a warm hug."});
    x.say_one({"^{n} felt very {d}.", "^{n}'s heart felt warm and {d}."});
    x.say(with_lead("[the best gifts come from the heart|making something with love is special|giving can make "
                    "you as happy as getting].")
              .c_str());
}

void plot_discover(Expander& x, SplitMix64&) {
    x.set('x', x.pick(kFinds));
    x.say_one({"One day, {n} and {f} went to explore the {p}.", "^{n} liked to explore. One day, {h} went deep into the {p}."});
    x.say_one({"There, {h} found {x}!", "Under a [rock|tree|bush], {n} saw {x}.",
               "Something was shining {l}. It was {x}!"});
    x.end_paragraph();
    x.say_one({"\"What is this?\" {n} asked. \"Let's find out!\" said {f}.",
               "^{n} was very curious. ^{h} wanted to know where it came from."});
    x.say_one({"They followed a path [over the hill|along the river|past the old trees].",
               "They looked [all around|for clues|in every corner] and walked for a long time."});
    x.say_one({"At the end of the path, they found ~[little house|pretty garden|big tree|quiet pond].",
               "Soon they met ~{a} old {y} who lived there.", "They saw that it belonged to ~{a} {y} named {f}."});
    x.end_paragraph();
    x.say_one({"^{n} gave it back, and everyone was {d}.", "They decided to keep it safe and share it with everyone.",
               "It was the best adventure they ever had."});
    x.say_one({"They walked home [as the sun went down|singing a happy song|holding hands].",
               "That night, {n} dreamed about {s} adventure."});
    x.say(with_lead("[the world is full of wonderful things|it is fun to explore with a friend|being honest is "
                    "always right|curious minds find great things].")
              .c_str());
}

void plot_new_friend(Expander& x, SplitMix64&) {
    x.say_one({"^{n} was new in town, and {h} did not know anyone.", "^{n} felt lonely because all the other kids were playing together.",
               "Every day, {n} played alone in the {p}."});
    x.say_one({"^{h} wanted a friend, but {h} was too shy to say hello.", "^{h} watched the others and wished {h} could join them."});
    x.end_paragraph();
    x.say_one({"One day, {h} saw ~{y} sitting alone under a tree.", "Then {h} saw {f}, ~{y} who was also alone."});
    x.say_one({"^{f} looked {b}, so {n} walked over.", "^{n} took a deep breath and walked over to {j}."});
    x.say_one({"\"Hi, I am {n}. Do you want to play?\" {h} asked.", "\"Hello,\" said {n} with a small smile. \"Can I sit with you?\""});
    x.say_one({"^{f} smiled. \"Yes, please!\"", "^{f} looked up and said, \"I would like that very much.\""});
    x.end_paragraph();
    x.say_one({"They played {i} and laughed all afternoon.", "They [shared ~{t}|told funny stories|looked for bugs|made a fort] together."});
    x.say_one({"Soon they were the best of friends.", "After that day, {n} was never lonely again.",
               "The next day, they met again, and the day after that too."});
    x.say(with_lead("[saying hello can make a new friend|everyone needs a friend|being brave can be as simple as a "
                    "smile|a kind word can change a day].")
              .c_str());
}

void plot_garden(Expander& x, SplitMix64&) {
    x.set('x', x.pick(List{"a flower", "a sunflower", "a carrot", "a tomato", "a pumpkin", "an apple tree", "a bean"}));
    x.say_one({"One spring day, {s} {r} gave {n} a little seed.", "^{n} found a tiny seed in {s} pocket."});
    x.say_one({"\"If you plant it, it will grow into {x},\" said {s} {r}.", "^{n} wanted to grow {x}."});
    x.end_paragraph();
    x.say_one({"So {n} dug a small hole and put the seed in the ground.", "^{h} planted the seed in the {p} and gave it water."});
    x.say_one({"Every morning, {n} looked at the ground, but nothing was there.",
               "The next day, {h} ran outside to look. There was only dirt."});
    x.say_one({"\"Why is it not growing?\" {h} asked. ^{h} felt {b}.", "^{n} wanted to dig it up to see the seed."});
    x.say_one({"\"Be patient,\" said {s} {r}. \"Good things take time.\"", "^{s} {r} said, \"Give it water and sun, and wait.\""});
    x.end_paragraph();
    x.say_one({"So {n} waited. ^{h} gave the seed water every day.", "^{n} was patient. ^{h} sang to the seed and gave it water."});
    x.say_one({"One morning, there was a tiny green leaf!", "After many days, a little green plant came up.",
               "Then one day, {h} saw a small green sprout."});
    x.say_one({"It grew and grew until it was {x}, [big|tall|bright] and beautiful.",
               "By summer, it had become {x}, and {n} was so {d}."});
    x.say(with_lead("[good things come to those who wait|patience helps things grow|with care and time, little "
                    "things become big].")
              .c_str());
}

void plot_chores(Expander& x, SplitMix64&) {
    x.set('x', x.pick(List{"clean the house", "wash the dishes", "fold the clothes", "make dinner",
                           "feed the animals", "sweep the yard", "pick up the toys"}));
    x.say_one({"^{n}'s {r} was very tired after a long day.", "One busy morning, {n}'s {r} had a lot of work to do."});
    x.say_one({"^{v} still had to {x}.", "There was no time to rest, because {v} had to {x}."});
    x.end_paragraph();
    x.say_one({"^{n} wanted to play {i} with {f}.", "^{n} wanted to go to the {p}, but {h} saw how tired {s} {r} was."});
    x.say_one({"Then {h} had an idea. \"I will help!\" {h} said.", "^{n} thought, \"I can help, so my {r} can rest.\""});
    x.end_paragraph();
    x.say_one({"^{n} worked hard to {x}.", "^{h} helped {s} {r} {x}, and {f} helped too."});
    x.say_one({"It was hard work, but they made it fun by singing songs.", "At first it was hard, but soon it was done."});
    x.say_one({"^{s} {r} smiled a big smile. \"Thank you, {n}! You are such a good helper.\"",
               "^{s} {r} gave {m} a big hug and said, \"You made my day.\""});
    x.say_one({"Then they all [sat down and ate ~{t}|went to the {p} together|played {i} until dinner].",
               "^{n} felt {d}, because helping felt good."});
    x.say(with_lead("[helping others makes everyone happy|a family works together|even small hands can do big "
                    "things].")
              .c_str());
}

void plot_bedtime(Expander& x, SplitMix64&) {
    x.say_one({"It was time for bed, but {n} could not sleep.", "That night, {n} lay in bed with {s} eyes wide open."});
    x.say_one({"^{h} [turned and turned|counted sheep|hugged {s} {o}], but {h} was still awake.",
               "The house was quiet, and {n} felt a little {b}."});
    x.end_paragraph();
    x.say_one({"^{n} got up and looked out the window.", "^{h} called, \"^{r}, I can't sleep!\""});
    x.say_one({"The moon was big and round, and the stars were shining.", "^{s} {r} came in and sat on the bed."});
    x.say_one({"\"Let's count the stars,\" said {s} {r}. \"One, two, three...\"",
               "^{s} {r} told {m} a story about ~{c} [dragon|boat|bird|star] that flew over the {p}."});
    x.end_paragraph();
    x.say_one({"Soon {n}'s eyes felt heavy.", "^{n} yawned a big yawn."});
    x.say_one({"\"Good night,\" {h} said softly, and {h} fell asleep.", "Before the story was over, {n} was fast asleep."});
    x.say_one({"^{h} dreamed of the {p} and of playing {i} with {f}.", "That night, {h} had a happy dream."});
    x.say(with_lead("[a calm mind helps you sleep|love makes every night feel safe|tomorrow is always a new day].")
              .c_str());
}

using Plot = void (*)(Expander&, SplitMix64&);
const Plot kPlots[] = {plot_lost,    plot_share, plot_fear,       plot_make,   plot_animal,
                       plot_warning, plot_race,  plot_rain,       plot_gift,   plot_discover,
                       plot_new_friend, plot_garden, plot_chores, plot_bedtime};

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (const char c : s) {
        h ^= uint8_t(c);
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace

StoryGenerator::StoryGenerator(uint64_t seed) : rng_(seed ^ 0x5EEDC0DE5EEDC0DEull) {}

void StoryGenerator::next_story(std::string& out) {
    std::string s;
    s.reserve(1200);
    Expander x(rng_, s);
    Impl::cast(x, rng_);
    Impl::opening(x);
    if (rng_.chance(0.5)) x.end_paragraph();
    kPlots[rng_.below(uint32_t(sizeof(kPlots) / sizeof(kPlots[0])))](x, rng_);
    // Paragraph breaks are written before the next sentence's space, so
    // collapse "\n " and drop a trailing break.
    std::string clean;
    clean.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == ' ' && !clean.empty() && clean.back() == '\n') continue;
        clean.push_back(s[i]);
    }
    while (!clean.empty() && (clean.back() == '\n' || clean.back() == ' ')) clean.pop_back();
    out += clean;
}

size_t count_words(const std::string& text) {
    size_t n = 0;
    bool in_word = false;
    for (const char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

StoryCorpus generate_story_corpus(uint64_t seed, size_t train_words, size_t eval_words) {
    StoryCorpus c;
    std::unordered_set<uint64_t> eval_hashes;
    std::unordered_set<std::string> eval_set;
    // The held-out stream: a different seed, so its stories are independent draws.
    StoryGenerator eval_gen(seed * 0x9E3779B97F4A7C15ull + 0xE7A1u);
    for (size_t words = 0; words < eval_words;) {
        std::string s = eval_gen.next_story();
        words += count_words(s);
        eval_hashes.insert(fnv1a(s));
        eval_set.insert(s);
        c.eval.push_back(std::move(s));
    }
    StoryGenerator gen(seed);
    for (size_t words = 0; words < train_words;) {
        std::string s = gen.next_story();
        if (eval_hashes.count(fnv1a(s)) && eval_set.count(s)) continue;
        words += count_words(s);
        c.train.push_back(std::move(s));
    }
    return c;
}

StoryCorpus corpus_from_text(const std::string& text, size_t eval_words) {
    std::vector<std::string> docs;
    const bool has_blank = text.find("\n\n") != std::string::npos;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find(has_blank ? "\n\n" : "\n", start);
        if (end == std::string::npos) end = text.size();
        std::string d = text.substr(start, end - start);
        while (!d.empty() && (d.back() == '\n' || d.back() == '\r' || d.back() == ' ')) d.pop_back();
        size_t lead = 0;
        while (lead < d.size() && (d[lead] == '\n' || d[lead] == '\r')) ++lead;
        if (lead < d.size()) docs.push_back(d.substr(lead));
        start = end + (has_blank ? 2 : 1);
    }
    StoryCorpus c;
    size_t words = 0;
    size_t split = docs.size();
    while (split > 1 && words < eval_words) words += count_words(docs[--split]);
    if (eval_words == 0) split = docs.size();
    c.train.assign(docs.begin(), docs.begin() + std::ptrdiff_t(split));
    c.eval.assign(docs.begin() + std::ptrdiff_t(split), docs.end());
    return c;
}

}  // namespace quantlab
