#if !defined(TALLY_WORDS_H)
#define TALLY_WORDS_H

#include <map>
#include <string>

namespace tally_words {

std::map<std::string, int> tally(const std::string& text);

}  // namespace tally_words

#endif  // TALLY_WORDS_H
