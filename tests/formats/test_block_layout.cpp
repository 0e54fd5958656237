// Every format the traits table lists has its block described field by
// field (the web app draws it), and the fields add up to the block size.
#include <catch2/catch.hpp>

#include "formats/block_layout.h"
#include "formats/type_traits.h"

using namespace quantlab;

TEST_CASE("block_layout: every traits row is described and adds up", "[formats][layout]") {
    for (const auto& t : all_type_traits()) {
        CAPTURE(t.name);
        const auto& fields = block_layout(t.type);
        REQUIRE_FALSE(fields.empty());
        size_t bytes = 0;
        for (const auto& f : fields) bytes += f.bytes;
        CHECK(bytes == t.type_size);
    }
}
