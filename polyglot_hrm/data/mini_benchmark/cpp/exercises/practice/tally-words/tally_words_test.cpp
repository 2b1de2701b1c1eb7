#include "tally_words.h"
#ifdef EXERCISM_TEST_SUITE
#include <catch2/catch.hpp>
#else
#include "test/catch.hpp"
#endif

TEST_CASE("single word", "[87373ba6-11c1-5468-870b-2de0f6fb7a97]") {
    const std::map<std::string, int> expected{{"hello", 1}};
    REQUIRE(tally_words::tally("hello") == expected);
}

#if defined(EXERCISM_RUN_ALL_TESTS)

TEST_CASE("repeated word", "[998c248d-bfae-5e9d-aa8f-2cda0a15edf4]") {
    const std::map<std::string, int> expected{{"one", 2}, {"two", 1}};
    REQUIRE(tally_words::tally("one two one") == expected);
}

TEST_CASE("counting ignores case", "[07f792bf-bf15-59c7-b773-3b79af357fd1]") {
    const std::map<std::string, int> expected{{"go", 3}};
    REQUIRE(tally_words::tally("Go go GO") == expected);
}

TEST_CASE("punctuation separates words", "[9f0ab066-3a6a-578c-a9a0-73b7234c9c15]") {
    const std::map<std::string, int> expected{{"red", 2}, {"blue", 1}};
    REQUIRE(tally_words::tally("red, blue; red!") == expected);
}

TEST_CASE("any whitespace separates words", "[e3cecc1d-2b8a-536f-9510-5c1a2a8fc812]") {
    const std::map<std::string, int> expected{{"spaced", 1}, {"out", 1}, {"lines", 1}};
    REQUIRE(tally_words::tally("  spaced\tout\nlines  ") == expected);
}

TEST_CASE("numbers count as words", "[64d3797c-be64-52e3-9eb5-196bbc354036]") {
    const std::map<std::string, int> expected{{"route", 2}, {"66", 1}, {"and", 1}, {"1", 1}};
    REQUIRE(tally_words::tally("route 66 and route 1") == expected);
}

#endif
