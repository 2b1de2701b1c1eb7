#if !defined(CLAMP_LIST_H)
#define CLAMP_LIST_H

#include <stdexcept>
#include <vector>

namespace clamp_list {

std::vector<int> clamp_all(const std::vector<int>& values, int low, int high);

}  // namespace clamp_list

#endif  // CLAMP_LIST_H
