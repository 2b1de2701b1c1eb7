#if !defined(CLAMP_LIST_H)
#define CLAMP_LIST_H

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace clamp_list {

inline std::vector<int> clamp_all(const std::vector<int>& values, int low, int high) {
    if (low > high) {
        throw std::invalid_argument("lower bound greater than upper bound");
    }
    std::vector<int> result;
    result.reserve(values.size());
    for (int value : values) {
        result.push_back(std::clamp(value, low, high));
    }
    return result;
}

}  // namespace clamp_list

#endif  // CLAMP_LIST_H
