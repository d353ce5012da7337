#include "media/Fragments.h"

#include <fstream>
#include <sstream>

#include "core/Log.h"

#define GST_CAT_DEFAULT mixmeet_media_debug

namespace mixmeet::media {

using core::makeError;

namespace {
std::string stripComments(const std::string& text) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) {
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        out += line + ' ';
    }
    return out;
}

core::Result<core::ElementPtr> parse(const std::string& description, const std::string& binName) {
    core::ErrorOut err;
    GstElement* bin = gst_parse_bin_from_description_full(description.c_str(), TRUE, nullptr,
                                                          GST_PARSE_FLAG_FATAL_ERRORS, err.out());
    if (!bin || err) {
        if (bin) gst_object_unref(gst_object_ref_sink(bin));
        return makeError("config", err ? err.message() : "could not parse");
    }
    auto owned = core::ElementPtr::refSink(bin);
    gst_object_set_name(GST_OBJECT(owned.get()), binName.c_str());
    return owned;
}
}  // namespace

core::Result<Fragments> Fragments::load(const std::string& dir) {
    Fragments f;
    core::ErrorOut err;
    GDir* d = g_dir_open(dir.c_str(), 0, err.out());
    if (!d)
        return makeError("config", "cannot open pipelines directory " + dir + ": " + err.message());
    while (const char* entry = g_dir_read_name(d)) {
        std::string file = entry;
        const std::string suffix = ".pipeline";
        if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix)
            continue;
        std::ifstream in(dir + "/" + file);
        std::stringstream buf;
        buf << in.rdbuf();
        std::string name = file.substr(0, file.size() - suffix.size());
        f.descriptions_[name] = stripComments(buf.str());
    }
    g_dir_close(d);
    for (const char* required :
         {fragment::kVideoDecodeVp8, fragment::kVideoDecodeH264, fragment::kAudioDecodeOpus,
          fragment::kVideoEncodeVp8, fragment::kAudioEncodeOpus}) {
        if (!f.descriptions_.count(required))
            return makeError("config", std::string("missing pipeline fragment ") + dir + "/" +
                                           required + ".pipeline");
    }
    for (const auto& [name, desc] : f.descriptions_) {
        auto bin = parse(desc, name);
        if (!bin)
            return makeError("config", dir + "/" + name + ".pipeline: " + bin.error().message);
    }
    return f;
}

core::Result<core::ElementPtr> Fragments::makeBin(const std::string& name,
                                                  const std::string& binName) const {
    auto it = descriptions_.find(name);
    if (it == descriptions_.end()) return makeError("config", "no pipeline fragment " + name);
    return parse(it->second, binName);
}

std::vector<std::string> Fragments::names() const {
    std::vector<std::string> out;
    for (const auto& [name, desc] : descriptions_) out.push_back(name);
    return out;
}

const std::string* Fragments::description(const std::string& name) const {
    auto it = descriptions_.find(name);
    return it == descriptions_.end() ? nullptr : &it->second;
}

}  // namespace mixmeet::media
