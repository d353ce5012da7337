#include "ServerProcess.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "Wait.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace mixmeet::testing {

using core::CharsPtr;
using core::ErrorOut;
using core::GPtr;
using namespace std::chrono_literals;

/// Lines of the child's stdout, read asynchronously until EOF.
struct ServerProcess::Reader {
    GPtr<GDataInputStream> stream;
    GPtr<GCancellable> cancel = GPtr<GCancellable>::adopt(g_cancellable_new());
    std::vector<std::string> lines;
    bool eof = false;

    static void next(std::shared_ptr<Reader> self) {
        GDataInputStream* s = self->stream.get();
        GCancellable* c = self->cancel.get();
        g_data_input_stream_read_line_async(s, G_PRIORITY_DEFAULT, c, &Reader::onLine,
                                            new std::shared_ptr<Reader>(std::move(self)));
    }

    static void onLine(GObject* source, GAsyncResult* result, gpointer data) noexcept {
        std::unique_ptr<std::shared_ptr<Reader>> box(static_cast<std::shared_ptr<Reader>*>(data));
        Reader& self = **box;
        ErrorOut err;
        CharsPtr line(g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result,
                                                           nullptr, err.out()));
        if (!line) {
            self.eof = true;
            return;
        }
        self.lines.emplace_back(line.get());
        next(std::move(*box));
    }
};

namespace {

/// Removes `dir` and everything below it (our own temporary directory only).
void removeTree(const std::string& dir) {
    GDir* d = g_dir_open(dir.c_str(), 0, nullptr);
    if (!d) return;
    while (const char* name = g_dir_read_name(d)) {
        const std::string path = dir + "/" + name;
        if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR))
            removeTree(path);
        else
            g_remove(path.c_str());
    }
    g_dir_close(d);
    g_rmdir(dir.c_str());
}

long longMember(JsonObject* o, const char* name) {
    return json_object_has_member(o, name) ? long(json_object_get_int_member(o, name)) : -1;
}

}  // namespace

ServerProcess::ServerProcess(ServerSettings settings) : settings_(std::move(settings)) {
    gchar* dir = g_dir_make_tmp("mixmeet-bench-XXXXXX", nullptr);
    if (dir) dir_ = dir;
    g_free(dir);
}

ServerProcess::~ServerProcess() {
    stop();
    if (!keep_ && !dir_.empty()) removeTree(dir_);
}

std::string ServerProcess::wsUrl() const {
    return "ws://127.0.0.1:" + std::to_string(port_) + "/ws";
}

bool ServerProcess::start(std::string& error) {
    if (dir_.empty()) {
        error = "cannot create a temporary directory";
        return false;
    }
    const std::string config = configPath();
    char base[1024];
    std::snprintf(base, sizeof base,
                  "[server]\naddress=127.0.0.1\nport=0\ndata_dir=%s/data\n"
                  "[room]\nmax_participants=%d\n"
                  "[video]\nwidth=%d\nheight=%d\nframerate=%d\nbitrate=%d\n"
                  "[webrtc]\njitter_buffer_ms=%d\nmixer_latency_ms=%d\n"
                  "[ice]\naddresses=127.0.0.1\n"
                  "[auth]\nopen_rooms=true\npassword_hash=minimum\n"
                  // Every synthetic participant connects from 127.0.0.1.
                  "[limits]\nmax_connections_per_address=0\n",
                  dir_.c_str(), settings_.maxParticipants, settings_.width, settings_.height,
                  settings_.framerate, settings_.videoBitrate, settings_.jitterBufferMs,
                  settings_.mixerLatencyMs);
    const std::string text = base + settings_.extraConfig;
    ErrorOut err;
    if (!g_file_set_contents(config.c_str(), text.c_str(), -1, err.out())) {
        error = std::string("cannot write config: ") + err.message();
        return false;
    }

    GPtr<GSubprocessLauncher> launcher =
        GPtr<GSubprocessLauncher>::adopt(g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE));
    g_subprocess_launcher_set_stderr_file_path(launcher.get(), logPath().c_str());
    for (const auto& [name, value] : settings_.environment)
        g_subprocess_launcher_setenv(launcher.get(), name.c_str(), value.c_str(), TRUE);
    if (!settings_.limits.empty()) {
        // Runs in the child between fork and exec: async-signal-safe calls only.
        g_subprocess_launcher_set_child_setup(
            launcher.get(),
            [](gpointer data) {
                for (const auto& [resource, value] :
                     *static_cast<std::vector<std::pair<int, rlim_t>>*>(data)) {
                    struct rlimit rl {
                        value, value
                    };
                    setrlimit(resource, &rl);
                }
            },
            &settings_.limits, nullptr);
    }
    process_ = GPtr<GSubprocess>::adopt(
        g_subprocess_launcher_spawn(launcher.get(), err.out(), settings_.binary.c_str(), "serve",
                                    "--config", config.c_str(), nullptr));
    if (!process_) {
        error = settings_.binary + ": " + err.message();
        return false;
    }
    pid_ = pid_t(std::atoi(g_subprocess_get_identifier(process_.get())));
    reader_ = std::make_shared<Reader>();
    reader_->stream = GPtr<GDataInputStream>::adopt(
        g_data_input_stream_new(g_subprocess_get_stdout_pipe(process_.get())));
    Reader::next(reader_);

    const std::string prefix = "mixmeet: listening on http://127.0.0.1:";
    waitUntil(
        [&] {
            for (const auto& line : reader_->lines)
                if (line.rfind(prefix, 0) == 0) port_ = std::atoi(line.c_str() + prefix.size());
            return port_ > 0 || reader_->eof;
        },
        std::chrono::seconds(20));
    if (port_ <= 0) {
        error = "the server did not report its port (log: " + logPath() + ")";
        keep_ = true;
        return false;
    }
    return true;
}

bool ServerProcess::stop(std::chrono::milliseconds patience) {
    if (!process_) return true;
    g_subprocess_send_signal(process_.get(), SIGTERM);
    auto exited = std::make_shared<bool>(false);
    g_subprocess_wait_async(
        process_.get(), nullptr,
        [](GObject*, GAsyncResult*, gpointer data) noexcept {
            std::unique_ptr<std::shared_ptr<bool>> done(static_cast<std::shared_ptr<bool>*>(data));
            **done = true;
        },
        new std::shared_ptr<bool>(exited));
    bool inTime = waitUntil([&] { return *exited; }, patience);
    if (!inTime) {
        std::fprintf(stderr, "server did not stop in %lld ms, killing it\n",
                     static_cast<long long>(patience.count()));
        g_subprocess_force_exit(process_.get());
        waitUntil([&] { return *exited; }, std::chrono::seconds(5));
    }
    if (reader_) g_cancellable_cancel(reader_->cancel.get());
    process_.reset();
    return inTime;
}

bool ServerProcess::running() {
    if (!process_) return false;
    // Not yet reaped when it died: a zombie ("State: Z") still has its /proc entry.
    gchar* text = nullptr;
    const std::string path = "/proc/" + std::to_string(pid_) + "/status";
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) return false;
    const char* state = std::strstr(text, "\nState:");
    bool alive = state && !std::strstr(state, "\tZ") && !std::strstr(state, "\tX");
    g_free(text);
    return alive;
}

long ServerProcess::statusField(const std::string& key) const {
    gchar* text = nullptr;
    const std::string path = "/proc/" + std::to_string(pid_) + "/status";
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) return -1;
    long value = -1;
    const std::string needle = "\n" + key + ":";
    if (const char* at = std::strstr(text, needle.c_str()))
        value = std::strtol(at + needle.size(), nullptr, 10);
    g_free(text);
    return value;
}

long ServerProcess::openFds() const {
    const std::string path = "/proc/" + std::to_string(pid_) + "/fd";
    GDir* dir = g_dir_open(path.c_str(), 0, nullptr);
    if (!dir) return -1;
    long n = 0;
    while (g_dir_read_name(dir)) ++n;
    g_dir_close(dir);
    return n;
}

HttpReply ServerProcess::get(const std::string& path, std::chrono::milliseconds timeout,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
    GPtr<SoupSession> session = GPtr<SoupSession>::adopt(soup_session_new());
    const std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
    GPtr<SoupMessage> msg = GPtr<SoupMessage>::adopt(soup_message_new("GET", url.c_str()));
    for (const auto& [name, value] : headers)
        soup_message_headers_append(soup_message_get_request_headers(msg.get()), name.c_str(),
                                    value.c_str());
    struct Reply {
        bool done = false;
        GBytes* body = nullptr;
    };
    auto reply = std::make_shared<Reply>();
    const auto start = std::chrono::steady_clock::now();
    soup_session_send_and_read_async(
        session.get(), msg.get(), G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) noexcept {
            std::unique_ptr<std::shared_ptr<Reply>> box(static_cast<std::shared_ptr<Reply>*>(data));
            (*box)->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, nullptr);
            (*box)->done = true;
        },
        new std::shared_ptr<Reply>(reply));
    waitUntil([&] { return reply->done; }, timeout);
    HttpReply out;
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (!reply->done) {
        soup_session_abort(session.get());
        waitUntil([&] { return reply->done; }, std::chrono::seconds(1));
    }
    std::unique_ptr<GBytes, core::FnDeleter<GBytes, g_bytes_unref>> body(reply->body);
    reply->body = nullptr;
    if (!body) return out;
    out.status = soup_message_get_status(msg.get());
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(body.get(), &size));
    out.body.assign(data ? data : "", size);
    return out;
}

namespace {
/// The top-level object of GET `path`'s JSON body (held by `parser`); null on any failure.
JsonObject* statsObject(ServerProcess& server, const std::string& path, GPtr<JsonParser>& parser) {
    HttpReply reply = server.get(path);
    if (reply.status != SOUP_STATUS_OK) return nullptr;
    parser = GPtr<JsonParser>::adopt(json_parser_new());
    if (!json_parser_load_from_data(parser.get(), reply.body.data(), gssize(reply.body.size()),
                                    nullptr))
        return nullptr;
    JsonNode* root = json_parser_get_root(parser.get());
    return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
}
}  // namespace

long ServerProcess::teardownsPending() {
    GPtr<JsonParser> parser;
    JsonObject* o = statsObject(*this, "/api/stats", parser);
    return o ? longMember(o, "teardownsPending") : -1;
}

std::optional<RoomStats> ServerProcess::roomStats(const std::string& room) {
    GPtr<JsonParser> parser;
    JsonObject* o = statsObject(*this, "/api/stats?room=" + room, parser);
    if (!o) return std::nullopt;
    if (!json_object_has_member(o, "rooms")) return std::nullopt;
    JsonArray* rooms = json_object_get_array_member(o, "rooms");
    for (guint i = 0; rooms && i < json_array_get_length(rooms); ++i) {
        JsonObject* r = json_array_get_object_element(rooms, i);
        if (!r || !json_object_has_member(r, "name") ||
            room != json_object_get_string_member(r, "name"))
            continue;
        return RoomStats{longMember(r, "participants"), longMember(r, "vp8Encoders"),
                         longMember(r, "opusEncoders"), longMember(r, "elements"),
                         longMember(r, "keyframes"),    longMember(r, "lateDropped")};
    }
    return std::nullopt;
}

}  // namespace mixmeet::testing
