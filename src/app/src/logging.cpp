#include "hsm2fa/app/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace hsm2fa::app {

Status setup_logging(const LogConfig& config) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (config.file.empty()) {
      logger = spdlog::stderr_logger_mt("hsm2fa");
    } else {
      logger = spdlog::basic_logger_mt("hsm2fa", config.file.string());
    }
  } catch (const spdlog::spdlog_ex& e) {
    return make_error(Errc::config, std::string("log: ") + e.what());
  }
  logger->set_level(spdlog::level::from_str(config.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

}  // namespace hsm2fa::app
