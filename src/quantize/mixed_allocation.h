// Choosing one format per tensor to minimise the predicted total damage under
// a size budget: a multiple-choice knapsack, solved by dynamic programming over
// bytes once for every budget at the same time.
//
// Each tensor first keeps only its Pareto front (no other option is both
// smaller and less damaging). The table then holds, for every capacity c in
// units of u bytes, the least total damage of any choice whose sizes add up to
// at most c units. u is the greatest common divisor of the option sizes when
// the table stays small (the answer is then exactly optimal); for large models
// it is coarser and every size is rounded up to whole units, so a plan never
// exceeds its budget and loses at most one unit per tensor of it. Because the
// table answers "at most c", a larger budget can never give a larger damage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/ggml_type.h"

namespace quantlab {

struct AllocationOption {
    GgmlType type = GgmlType::F32;
    uint64_t bytes = 0;   // what the tensor adds to the budgeted total in this format
    double damage = 0.0;  // predicted (>= 0)
};

struct AllocationItem {
    std::string name;
    std::vector<AllocationOption> options;  // allowed formats, any order, at least one
};

struct Allocation {
    std::vector<size_t> choice;  // per item, an index into its options
    uint64_t bytes = 0;
    double damage = 0.0;
};

class AllocationTable {
public:
    // max_cells bounds the table (items x cells bytes of memory for the choices).
    explicit AllocationTable(std::vector<AllocationItem> items, size_t max_cells = size_t(1) << 24);

    const std::vector<AllocationItem>& items() const { return items_; }
    uint64_t min_bytes() const { return min_bytes_; }  // every tensor at its smallest option
    uint64_t max_bytes() const { return max_bytes_; }  // budget that gives every tensor its least damaging option
    uint64_t unit() const { return unit_; }
    bool exact() const { return exact_; }              // unit is the gcd: no rounding

    // The least-damage choice whose bytes are at most capacity. Throws
    // Error(InvalidArgument) when even the smallest choice does not fit.
    Allocation best(uint64_t capacity) const;

    // The predicted damage of best(capacity), and the capacities where it
    // steps down: (bytes, damage) of each distinct best plan, increasing bytes.
    std::vector<std::pair<uint64_t, double>> frontier() const;

private:
    std::vector<AllocationItem> items_;
    std::vector<std::vector<size_t>> front_;  // per item: option indices on its Pareto front, by bytes
    std::vector<std::vector<uint64_t>> units_;  // per item, per front entry: size above the item's smallest, in units
    uint64_t min_bytes_ = 0, max_bytes_ = 0, unit_ = 1;
    bool exact_ = true;
    size_t cells_ = 0;
    std::vector<double> best_;           // [cells]: least damage with at most c extra units
    std::vector<uint8_t> pick_;          // [items][cells]: the front entry chosen for item i at c
};

}  // namespace quantlab
