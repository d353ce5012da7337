#include "http/MeteredStream.h"

// Three small GObject types: GIO has no generic pollable filter stream (GFilterInputStream is
// not pollable, and libsoup's server and WebSocket code need pollable streams), so the input,
// output and the pair are written here. Each delegates to the base stream and counts.

namespace mixmeet::http {
namespace {

using MeterRef = std::shared_ptr<Meter>;

// ---- input -----------------------------------------------------------------------------

struct MeteredInput {
    GInputStream parent;
    GInputStream* base;
    MeterRef* meter;
    gboolean ended;  ///< onRead refused: every read reports end of stream.
};
struct MeteredInputClass {
    GInputStreamClass parent_class;
};

void mixmeet_metered_input_pollable_init(GPollableInputStreamInterface* iface);

G_DEFINE_TYPE_WITH_CODE(MeteredInput, mixmeet_metered_input, G_TYPE_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                              mixmeet_metered_input_pollable_init))

MeteredInput* asInput(gpointer p) {
    return G_TYPE_CHECK_INSTANCE_CAST(p, mixmeet_metered_input_get_type(), MeteredInput);
}

/// Counts a read result; false if the meter ends the connection.
gssize countRead(MeteredInput* self, gssize n) {
    if (self->ended) return 0;
    if (n <= 0) return n;
    Meter& m = **self->meter;
    m.bytesRead += static_cast<guint64>(n);
    if (m.onRead && !m.onRead(static_cast<gsize>(n))) {
        self->ended = TRUE;
        return 0;
    }
    return n;
}

gssize metered_input_read(GInputStream* stream, void* buffer, gsize count,
                          GCancellable* cancellable, GError** error) {
    MeteredInput* self = asInput(stream);
    if (self->ended) return 0;
    return countRead(self, g_input_stream_read(self->base, buffer, count, cancellable, error));
}

gboolean metered_input_close(GInputStream*, GCancellable*, GError**) {
    return TRUE;  // The socket closes with the GIOStream.
}

gboolean metered_input_can_poll(GPollableInputStream*) {
    return TRUE;
}

gboolean metered_input_is_readable(GPollableInputStream* stream) {
    MeteredInput* self = asInput(stream);
    return self->ended || g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(self->base));
}

GSource* metered_input_create_source(GPollableInputStream* stream, GCancellable* cancellable) {
    MeteredInput* self = asInput(stream);
    GSource* child =
        g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(self->base), nullptr);
    GSource* source = g_pollable_source_new_full(stream, child, cancellable);
    g_source_unref(child);
    return source;
}

gssize metered_input_read_nonblocking(GPollableInputStream* stream, void* buffer, gsize count,
                                      GError** error) {
    MeteredInput* self = asInput(stream);
    if (self->ended) return 0;
    return countRead(self, g_pollable_input_stream_read_nonblocking(
                               G_POLLABLE_INPUT_STREAM(self->base), buffer, count, nullptr, error));
}

void mixmeet_metered_input_pollable_init(GPollableInputStreamInterface* iface) {
    iface->can_poll = metered_input_can_poll;
    iface->is_readable = metered_input_is_readable;
    iface->create_source = metered_input_create_source;
    iface->read_nonblocking = metered_input_read_nonblocking;
}

void metered_input_finalize(GObject* object) {
    MeteredInput* self = asInput(object);
    g_clear_object(&self->base);
    delete self->meter;
    G_OBJECT_CLASS(mixmeet_metered_input_parent_class)->finalize(object);
}

void mixmeet_metered_input_init(MeteredInput*) {}

void mixmeet_metered_input_class_init(MeteredInputClass* klass) {
    G_OBJECT_CLASS(klass)->finalize = metered_input_finalize;
    G_INPUT_STREAM_CLASS(klass)->read_fn = metered_input_read;
    G_INPUT_STREAM_CLASS(klass)->close_fn = metered_input_close;
}

// ---- output ----------------------------------------------------------------------------

struct MeteredOutput {
    GOutputStream parent;
    GOutputStream* base;
    MeterRef* meter;
};
struct MeteredOutputClass {
    GOutputStreamClass parent_class;
};

void mixmeet_metered_output_pollable_init(GPollableOutputStreamInterface* iface);

G_DEFINE_TYPE_WITH_CODE(MeteredOutput, mixmeet_metered_output, G_TYPE_OUTPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
                                              mixmeet_metered_output_pollable_init))

MeteredOutput* asOutput(gpointer p) {
    return G_TYPE_CHECK_INSTANCE_CAST(p, mixmeet_metered_output_get_type(), MeteredOutput);
}

gssize countWrite(MeteredOutput* self, gssize n) {
    if (n > 0) (**self->meter).bytesWritten += static_cast<guint64>(n);
    return n;
}

gssize metered_output_write(GOutputStream* stream, const void* buffer, gsize count,
                            GCancellable* cancellable, GError** error) {
    MeteredOutput* self = asOutput(stream);
    return countWrite(self, g_output_stream_write(self->base, buffer, count, cancellable, error));
}

gboolean metered_output_close(GOutputStream*, GCancellable*, GError**) {
    return TRUE;  // The socket closes with the GIOStream.
}

gboolean metered_output_can_poll(GPollableOutputStream*) {
    return TRUE;
}

gboolean metered_output_is_writable(GPollableOutputStream* stream) {
    return g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(asOutput(stream)->base));
}

GSource* metered_output_create_source(GPollableOutputStream* stream, GCancellable* cancellable) {
    GSource* child = g_pollable_output_stream_create_source(
        G_POLLABLE_OUTPUT_STREAM(asOutput(stream)->base), nullptr);
    GSource* source = g_pollable_source_new_full(stream, child, cancellable);
    g_source_unref(child);
    return source;
}

gssize metered_output_write_nonblocking(GPollableOutputStream* stream, const void* buffer,
                                        gsize count, GError** error) {
    MeteredOutput* self = asOutput(stream);
    return countWrite(
        self, g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(self->base),
                                                         buffer, count, nullptr, error));
}

void mixmeet_metered_output_pollable_init(GPollableOutputStreamInterface* iface) {
    iface->can_poll = metered_output_can_poll;
    iface->is_writable = metered_output_is_writable;
    iface->create_source = metered_output_create_source;
    iface->write_nonblocking = metered_output_write_nonblocking;
}

void metered_output_finalize(GObject* object) {
    MeteredOutput* self = asOutput(object);
    g_clear_object(&self->base);
    delete self->meter;
    G_OBJECT_CLASS(mixmeet_metered_output_parent_class)->finalize(object);
}

void mixmeet_metered_output_init(MeteredOutput*) {}

void mixmeet_metered_output_class_init(MeteredOutputClass* klass) {
    G_OBJECT_CLASS(klass)->finalize = metered_output_finalize;
    G_OUTPUT_STREAM_CLASS(klass)->write_fn = metered_output_write;
    // No flush: a socket has nothing to flush (and GIO's flush_async would use a thread).
    G_OUTPUT_STREAM_CLASS(klass)->close_fn = metered_output_close;
}

// ---- the pair --------------------------------------------------------------------------

struct MeteredIO {
    GIOStream parent;
    GIOStream* base;
    GInputStream* input;
    GOutputStream* output;
    MeterRef* meter;
    gboolean notified;  ///< onClosed has run.
};
struct MeteredIOClass {
    GIOStreamClass parent_class;
};

G_DEFINE_TYPE(MeteredIO, mixmeet_metered_io, G_TYPE_IO_STREAM)

MeteredIO* asIO(gpointer p) {
    return G_TYPE_CHECK_INSTANCE_CAST(p, mixmeet_metered_io_get_type(), MeteredIO);
}

void notifyClosed(MeteredIO* self) {
    if (self->notified) return;
    self->notified = TRUE;
    if (auto& onClosed = (**self->meter).onClosed) {
        auto fn = std::move(onClosed);  // Once; and it may drop the last reference to itself.
        onClosed = nullptr;
        fn();
    }
}

GInputStream* metered_io_get_input(GIOStream* stream) {
    return asIO(stream)->input;
}

GOutputStream* metered_io_get_output(GIOStream* stream) {
    return asIO(stream)->output;
}

gboolean metered_io_close(GIOStream* stream, GCancellable* cancellable, GError** error) {
    MeteredIO* self = asIO(stream);
    gboolean ok = g_io_stream_close(self->base, cancellable, error);
    notifyClosed(self);
    return ok;
}

void metered_io_close_async(GIOStream* stream, int, GCancellable* cancellable,
                            GAsyncReadyCallback callback, gpointer data) {
    // Closing a socket does not block, so it is done here on the caller's thread (GIO's
    // default would do it on a worker thread, and onClosed would run there).
    GTask* task = g_task_new(stream, cancellable, callback, data);
    GError* error = nullptr;
    if (metered_io_close(stream, cancellable, &error))
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, error);
    g_object_unref(task);
}

gboolean metered_io_close_finish(GIOStream*, GAsyncResult* result, GError** error) {
    return g_task_propagate_boolean(G_TASK(result), error);
}

void metered_io_finalize(GObject* object) {
    MeteredIO* self = asIO(object);
    notifyClosed(self);
    g_clear_object(&self->input);
    g_clear_object(&self->output);
    g_clear_object(&self->base);
    delete self->meter;
    G_OBJECT_CLASS(mixmeet_metered_io_parent_class)->finalize(object);
}

void mixmeet_metered_io_init(MeteredIO*) {}

void mixmeet_metered_io_class_init(MeteredIOClass* klass) {
    G_OBJECT_CLASS(klass)->finalize = metered_io_finalize;
    GIOStreamClass* io = G_IO_STREAM_CLASS(klass);
    io->get_input_stream = metered_io_get_input;
    io->get_output_stream = metered_io_get_output;
    io->close_fn = metered_io_close;
    io->close_async = metered_io_close_async;
    io->close_finish = metered_io_close_finish;
}

}  // namespace

GIOStream* newMeteredStream(GIOStream* base, std::shared_ptr<Meter> meter) {
    auto* in = asInput(g_object_new(mixmeet_metered_input_get_type(), nullptr));
    in->base = G_INPUT_STREAM(g_object_ref(g_io_stream_get_input_stream(base)));
    in->meter = new MeterRef(meter);
    auto* out = asOutput(g_object_new(mixmeet_metered_output_get_type(), nullptr));
    out->base = G_OUTPUT_STREAM(g_object_ref(g_io_stream_get_output_stream(base)));
    out->meter = new MeterRef(meter);
    auto* io = asIO(g_object_new(mixmeet_metered_io_get_type(), nullptr));
    io->base = G_IO_STREAM(g_object_ref(base));
    io->input = G_INPUT_STREAM(in);
    io->output = G_OUTPUT_STREAM(out);
    io->meter = new MeterRef(std::move(meter));
    return G_IO_STREAM(io);
}

}  // namespace mixmeet::http
