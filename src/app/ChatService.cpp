#include "app/ChatService.h"

namespace mixmeet::app {

namespace errc = protocol::errc;

namespace {
protocol::ChatLine toLine(const store::ChatMessage& m) {
    protocol::ChatLine line;
    line.id = m.id;
    if (m.userId) line.userId = *m.userId;
    line.name = m.displayName;
    line.text = m.text;
    line.sentAt = m.sentAt;
    return line;
}
}  // namespace

core::Result<long long> ChatService::save(const std::string& meetingId,
                                          const protocol::ChatLine& line) {
    store::ChatMessage m;
    m.meetingId = meetingId;
    if (line.userId) m.userId = *line.userId;
    m.displayName = line.name;
    m.text = line.text;
    m.sentAt = line.sentAt;
    auto id = store_.addChatMessage(m);
    if (!id) return core::makeError(errc::kInternal, "could not save the message");
    return static_cast<long long>(id.value());
}

long long ChatService::ephemeralId() {
    static long long last = 0;  // Plain rooms keep no chat.
    return ++last;
}

core::Result<protocol::ChatHistory> ChatService::page(const std::string& meetingId,
                                                      std::optional<long long> before) {
    protocol::ChatHistory history;
    std::optional<int64_t> beforeId;
    if (before) beforeId = *before;
    auto page = store_.chatMessages(meetingId, beforeId, kHistoryPage);
    if (!page) return core::makeError(errc::kInternal, "could not read the chat");
    const auto& msgs = page.value().messages;
    for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) history.messages.push_back(toLine(*it));
    history.hasMore = page.value().nextBeforeId.has_value();
    return history;
}

}  // namespace mixmeet::app
