#include "mail/Mailer.h"

#include <curl/curl.h>
#include <glib.h>

#include <cstring>

namespace mixmeet::mail {

namespace {

/// Writes the link to the log so the admin can pass it on.
class LogMailer : public Mailer {
public:
    core::Status sendPasswordReset(const std::string& to, const std::string& link) override {
        g_message("password reset link for %s (no [mail] configured): %s", to.c_str(),
                  link.c_str());
        return core::Ok{};
    }
};

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

/// RFC 5322 message through libcurl's SMTP client (no hand-written SMTP).
class SmtpMailer : public Mailer {
public:
    explicit SmtpMailer(MailConfig config) : config_(std::move(config)) {
        static bool initialised = (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
        (void)initialised;
    }

    core::Status sendPasswordReset(const std::string& to, const std::string& link) override {
        std::string message = "From: " + config_.from + "\r\nTo: " + to +
                              "\r\nSubject: Reset your mixmeet password\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                              "Someone asked to reset the password of your mixmeet account.\r\n"
                              "To choose a new password, open this link within one hour:\r\n\r\n" +
                              link + "\r\n\r\nIf it was not you, ignore this message.\r\n";
        std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
        if (!curl) return core::makeError("mail", "cannot initialise libcurl");
        std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, to.c_str()));
        Payload payload{message, 0};
        curl_easy_setopt(curl.get(), CURLOPT_URL, config_.url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, config_.from.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, rcpt.get());
        if (!config_.username.empty()) {
            curl_easy_setopt(curl.get(), CURLOPT_USERNAME, config_.username.c_str());
            curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, config_.password.c_str());
            curl_easy_setopt(curl.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
        }
        curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, read);
        curl_easy_setopt(curl.get(), CURLOPT_READDATA, &payload);
        curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeoutMs));
        CURLcode rc = curl_easy_perform(curl.get());
        if (rc != CURLE_OK)
            return core::makeError("mail", std::string("SMTP failed: ") + curl_easy_strerror(rc));
        return core::Ok{};
    }

private:
    struct Payload {
        const std::string& text;
        std::size_t sent;
    };
    static size_t read(char* buffer, size_t size, size_t count, void* data) noexcept {
        auto* p = static_cast<Payload*>(data);
        std::size_t n = std::min(size * count, p->text.size() - p->sent);
        std::memcpy(buffer, p->text.data() + p->sent, n);
        p->sent += n;
        return n;
    }

    MailConfig config_;
};

}  // namespace

std::unique_ptr<Mailer> makeMailer(const MailConfig& config) {
    if (config.url.empty()) return std::make_unique<LogMailer>();
    return std::make_unique<SmtpMailer>(config);
}

}  // namespace mixmeet::mail
