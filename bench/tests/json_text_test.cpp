#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "json_text.hpp"

namespace hsm2fa::bench {
namespace {

TEST(JsonText, PlainDecimalsThatParseBackToTheSameValue) {
  boost::json::object o;
  o["per_s"] = 177.351;
  o["ratio"] = 0.0165;
  o["levels"] = boost::json::array{1, 2.5, "x\"y"};
  o["ok"] = true;
  const std::string text = json_text(o);
  EXPECT_EQ(text, R"({"per_s":177.351,"ratio":0.0165,"levels":[1,2.5,"x\"y"],"ok":true})");
  EXPECT_EQ(boost::json::parse(text), boost::json::value(o));
}

TEST(JsonText, NonFiniteBecomesNull) {
  boost::json::array a{std::nan(""), 1.0};
  EXPECT_EQ(json_text(a), "[null,1]");
}

}  // namespace
}  // namespace hsm2fa::bench
