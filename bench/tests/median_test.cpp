#include <gtest/gtest.h>

#include "latency.hpp"

namespace hsm2fa::bench {
namespace {

TEST(Median, OddCountIsTheMiddleValueInAnyOrder) {
  EXPECT_DOUBLE_EQ(median({5419, 10732, 5215}), 5419);
  EXPECT_DOUBLE_EQ(median({3}), 3);
}

TEST(Median, EvenCountIsTheMeanOfTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({9252, 10587, 9931, 10684, 9756, 10440}), (9931.0 + 10440.0) / 2);
}

TEST(Median, NothingMeasuredIsZero) { EXPECT_DOUBLE_EQ(median({}), 0); }

}  // namespace
}  // namespace hsm2fa::bench
