// RAII owners for GLib/GStreamer references. The only place in the code base that calls
// g_object_unref / gst_object_unref / gst_caps_unref and friends by hand.
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

#include <memory>
#include <utility>

namespace mixmeet::core {

/// Owning reference to a GObject-derived instance (GstElement, GstPad, SoupServer, ...).
/// Construct with adopt() for a reference you own (transfer full), with ref() to take a new
/// one (transfer none), or with refSink() for a floating reference (freshly made elements).
template <typename T>
class GPtr {
public:
    GPtr() = default;
    GPtr(std::nullptr_t) {}
    ~GPtr() { reset(); }

    GPtr(const GPtr& other) : ptr_(other.ptr_) {
        if (ptr_) g_object_ref(ptr_);
    }
    GPtr(GPtr&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
    GPtr& operator=(GPtr other) noexcept {
        std::swap(ptr_, other.ptr_);
        return *this;
    }

    /// Takes ownership of an existing (transfer full) reference.
    static GPtr adopt(T* p) {
        GPtr r;
        r.ptr_ = p;
        return r;
    }
    /// Adds a reference (transfer none).
    static GPtr ref(T* p) {
        GPtr r;
        r.ptr_ = p ? static_cast<T*>(g_object_ref(p)) : nullptr;
        return r;
    }
    /// Sinks a floating reference, or adds one if the object is not floating.
    static GPtr refSink(T* p) {
        GPtr r;
        r.ptr_ = p ? static_cast<T*>(g_object_ref_sink(p)) : nullptr;
        return r;
    }

    void reset() {
        if (auto* p = std::exchange(ptr_, nullptr)) g_object_unref(p);
    }
    /// Gives up ownership: the caller now owns the reference.
    [[nodiscard]] T* release() { return std::exchange(ptr_, nullptr); }

    T* get() const { return ptr_; }
    T* operator->() const { return ptr_; }
    explicit operator bool() const { return ptr_ != nullptr; }
    /// For C out-parameters of transfer-full type: `fn(p.out())`.
    T** out() {
        reset();
        return &ptr_;
    }

private:
    T* ptr_ = nullptr;
};

using ElementPtr = GPtr<GstElement>;
using PadPtr = GPtr<GstPad>;
using BinPtr = GPtr<GstBin>;

/// A new element of `factory` named `name` (nullptr: GStreamer picks a name), its floating
/// reference sunk; empty if the factory is not installed.
inline ElementPtr makeElement(const char* factory, const char* name) {
    return ElementPtr::refSink(gst_element_factory_make(factory, name));
}

template <typename T, void (*Free)(T*)>
struct FnDeleter {
    void operator()(T* p) const {
        if (p) Free(p);
    }
};

inline void freeCaps(GstCaps* c) {
    gst_caps_unref(c);
}
inline void freeStructure(GstStructure* s) {
    gst_structure_free(s);
}
inline void freeBuffer(GstBuffer* b) {
    gst_buffer_unref(b);
}
inline void freeSample(GstSample* s) {
    gst_sample_unref(s);
}
inline void freeError(GError* e) {
    g_error_free(e);
}
inline void freeChars(char* s) {
    g_free(s);
}
inline void freeMessage(GstMessage* m) {
    gst_message_unref(m);
}
inline void freeEvent(GstEvent* e) {
    gst_event_unref(e);
}
inline void freePromise(GstPromise* p) {
    gst_promise_unref(p);
}
inline void freeSource(GSource* s) {
    g_source_destroy(s), g_source_unref(s);
}

/// Owning pointers for GStreamer mini-objects and plain GLib allocations.
using CapsPtr = std::unique_ptr<GstCaps, FnDeleter<GstCaps, freeCaps>>;
using StructurePtr = std::unique_ptr<GstStructure, FnDeleter<GstStructure, freeStructure>>;
using BufferPtr = std::unique_ptr<GstBuffer, FnDeleter<GstBuffer, freeBuffer>>;
using SamplePtr = std::unique_ptr<GstSample, FnDeleter<GstSample, freeSample>>;
using ErrorPtr = std::unique_ptr<GError, FnDeleter<GError, freeError>>;
using CharsPtr = std::unique_ptr<char, FnDeleter<char, freeChars>>;
using MessagePtr = std::unique_ptr<GstMessage, FnDeleter<GstMessage, freeMessage>>;
using EventPtr = std::unique_ptr<GstEvent, FnDeleter<GstEvent, freeEvent>>;
using PromisePtr = std::unique_ptr<GstPromise, FnDeleter<GstPromise, freePromise>>;
/// Destroys (detaches) and unrefs a GSource: removing the owner removes the timer/idle.
using SourcePtr = std::unique_ptr<GSource, FnDeleter<GSource, freeSource>>;

/// Helper for GError out-parameters: `ErrorOut err; fn(..., err.out()); if (err) ...`.
class ErrorOut {
public:
    GError** out() { return &err_; }
    ~ErrorOut() {
        if (err_) g_error_free(err_);
    }
    explicit operator bool() const { return err_ != nullptr; }
    const char* message() const { return err_ ? err_->message : ""; }

private:
    GError* err_ = nullptr;
};

}  // namespace mixmeet::core
