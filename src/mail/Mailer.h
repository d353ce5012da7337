// Outgoing mail for account flows (password reset). With [mail] configured, messages go out
// through the SMTP server with libcurl; otherwise they are written to the server log for the
// admin. Main thread; sending is synchronous with a short timeout.
#pragma once

#include <memory>
#include <string>

#include "core/Result.h"

namespace mixmeet::mail {

/// [mail] in the config. Empty url: no SMTP, links go to the log.
struct MailConfig {
    std::string url;       ///< smtp://host:port or smtps://host:port
    std::string from;      ///< Sender address.
    std::string username;  ///< SMTP AUTH, optional.
    std::string password;
    int timeoutMs = 10000;
};

class Mailer {
public:
    virtual ~Mailer() = default;
    /// Sends `link` to `to`. Error "mail" with libcurl's reason.
    virtual core::Status sendPasswordReset(const std::string& to, const std::string& link) = 0;
};

/// The mailer for a config: SmtpMailer when url is set, else LogMailer.
std::unique_ptr<Mailer> makeMailer(const MailConfig& config);

}  // namespace mixmeet::mail
