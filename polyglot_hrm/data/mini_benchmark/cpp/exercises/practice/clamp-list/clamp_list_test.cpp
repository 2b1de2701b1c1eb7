#include "clamp_list.h"
#ifdef EXERCISM_TEST_SUITE
#include <catch2/catch.hpp>
#else
#include "test/catch.hpp"
#endif

TEST_CASE("values inside the range are unchanged", "[b1848d6f-3d40-5204-98d4-05299457709e]") {
    const std::vector<int> expected{3, 4, 5};
    REQUIRE(clamp_list::clamp_all(std::vector<int>{3, 4, 5}, 1, 10) == expected);
}

#if defined(EXERCISM_RUN_ALL_TESTS)

TEST_CASE("values below the range are raised", "[929d2a37-22a3-5a9f-ac9e-10d60570b745]") {
    const std::vector<int> expected{1, 1, 2};
    REQUIRE(clamp_list::clamp_all(std::vector<int>{-5, 0, 2}, 1, 10) == expected);
}

TEST_CASE("values above the range are lowered", "[34302987-0759-575e-a207-50d7425b582a]") {
    const std::vector<int> expected{10, 10, 10};
    REQUIRE(clamp_list::clamp_all(std::vector<int>{11, 10, 99}, 1, 10) == expected);
}

TEST_CASE("negative bounds", "[d861a64e-aa11-5405-bbfc-74615a1a8186]") {
    const std::vector<int> expected{-10, -3, -1};
    REQUIRE(clamp_list::clamp_all(std::vector<int>{-20, -3, 7}, -10, -1) == expected);
}

TEST_CASE("range of a single value", "[6bd81cc0-42e5-549f-9966-a7bdaadf09b4]") {
    const std::vector<int> expected{2, 2, 2};
    REQUIRE(clamp_list::clamp_all(std::vector<int>{1, 2, 3}, 2, 2) == expected);
}

TEST_CASE("lower bound above upper bound is rejected", "[e3db04ae-9d4f-5115-b34a-a31ec1a6d3cf]") {
    REQUIRE_THROWS_AS(clamp_list::clamp_all(std::vector<int>{1}, 5, 4), std::invalid_argument);
}

#endif
