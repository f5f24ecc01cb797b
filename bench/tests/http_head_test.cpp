#include <gtest/gtest.h>

#include "http_client.hpp"

namespace hsm2fa::bench {
namespace {

TEST(ResponseHead, ReadsStatusLengthAndKeepAlive) {
  auto h = parse_response_head(
      "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nContent-Length:  42 \r\n"
      "Cache-Control: no-store");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, 201u);
  EXPECT_EQ(h->content_length, 42u);
  EXPECT_FALSE(h->close);
}

TEST(ResponseHead, ConnectionCloseAndHttp10Close) {
  auto closing = parse_response_head("HTTP/1.1 413 Payload Too Large\r\nConnection: Close");
  ASSERT_TRUE(closing.ok());
  EXPECT_TRUE(closing->close);
  EXPECT_EQ(closing->content_length, 0u);
  auto old = parse_response_head("HTTP/1.0 200 OK\r\nContent-Length: 2");
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->close);
}

TEST(ResponseHead, RefusesWhatItCannotFrame) {
  EXPECT_FALSE(parse_response_head("HTTX/1.1 200 OK").ok());
  EXPECT_FALSE(parse_response_head("HTTP/1.1 2x0 OK").ok());
  EXPECT_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 1e3").ok());
  EXPECT_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked").ok());
}

}  // namespace
}  // namespace hsm2fa::bench
