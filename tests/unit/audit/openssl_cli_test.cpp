// A checkpoint is checkable with the openssl command-line tool alone, as README.md shows.
#include <sys/wait.h>

#include <boost/json.hpp>
#include <fstream>

#include "audit_fixture.hpp"
#include "hsm2fa/audit/verify.hpp"

namespace hsm2fa::audit::testing {
namespace {

using OpensslCli = AuditFixture;

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// `openssl dgst -sha256 -verify pub.pem -signature sig.der msg`; only file names on argv.
int openssl_verify(const std::filesystem::path& dir) {
  const std::string command = "cd '" + dir.string() +
                              "' && openssl dgst -sha256 -verify pub.pem -signature sig.der msg "
                              ">out.txt 2>&1";
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(OpensslCli, VerifiesACheckpointFromItsLine) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl tool";
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 4);
  }
  auto checkpoint = boost::json::parse(read_lines(current())[4]).as_object();
  ASSERT_EQ(str(checkpoint.at("type")), "checkpoint");
  // The documented message, spelled out here independently of the library.
  const std::string message = "hsm2fa-audit-checkpoint-v1\n" +
                              std::to_string(checkpoint.at("seq").to_number<int>()) + "\n" +
                              std::string(checkpoint.at("ts").as_string()) + "\n" +
                              std::string(checkpoint.at("chain_head").as_string()) + "\n";
  const auto sig_b64 = std::string(checkpoint.at("sig").as_string());
  const auto work = dir_ / "check";
  std::filesystem::create_directories(work);
  write_file(work / "pub.pem", keys_->public_key_pem());
  write_file(work / "sig.b64", sig_b64 + "\n");
  ASSERT_EQ(
      std::system(
          ("cd '" + work.string() + "' && openssl base64 -d -in sig.b64 -out sig.der").c_str()),
      0);
  write_file(work / "msg", message);
  EXPECT_EQ(openssl_verify(work), 0) << read_text(work / "out.txt");
  EXPECT_NE(read_text(work / "out.txt").find("Verified OK"), std::string::npos);

  write_file(work / "msg", message + "x");
  EXPECT_NE(openssl_verify(work), 0) << read_text(work / "out.txt");
}

}  // namespace
}  // namespace hsm2fa::audit::testing
