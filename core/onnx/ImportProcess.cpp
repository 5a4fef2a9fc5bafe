// ImportProcess: importOnnxIsolated — the import runs in a forked child and its result comes back
// through a pipe, so a crash inside third-party shape inference cannot take the caller with it.
#include "OnnxImport.h"

#include "core/NetworkFile.h"

#include <QDataStream>
#include <QIODevice>

#include <cerrno>
#include <csignal>
#include <cstring>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#define NC_HAVE_FORK 1
#endif

namespace nc::core::onnx {

namespace {

QByteArray bytes(const std::string& s) { return QByteArray(s.data(), static_cast<qsizetype>(s.size())); }
std::string text(const QByteArray& b) { return std::string(b.constData(), static_cast<size_t>(b.size())); }

void putStrings(QDataStream& out, const std::vector<std::string>& v)
{
    out << quint32(v.size());
    for (const auto& s : v)
        out << bytes(s);
}

bool getStrings(QDataStream& in, std::vector<std::string>& v)
{
    quint32 n = 0;
    in >> n;
    for (quint32 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
        QByteArray b;
        in >> b;
        v.push_back(text(b));
    }
    return in.status() == QDataStream::Ok;
}

// The result as the child sends it: a tag, then an error or the design file, the report and outputs.
QByteArray encode(const Result<ImportResult>& r)
{
    QByteArray buf;
    QDataStream out(&buf, QIODevice::WriteOnly);
    out << quint32(0x4e43494d) << bool(r);
    if (!r) {
        out << bytes(r.error());
        return buf;
    }
    const ImportReport& rep = r->report;
    out << serializeNetwork(r->network);
    out << qint32(rep.onnxNodes) << qint32(rep.layers) << qint32(rep.fusedNodes) << qint32(rep.foldedNodes)
        << qint32(rep.opaqueLayers) << qint32(rep.skippedNodes) << qint32(rep.droppedEdges)
        << qint64(rep.initializerValues) << qint64(rep.unattributedValues);
    out << quint32(rep.unknownOps.size());
    for (const auto& [op, count] : rep.unknownOps)
        out << bytes(op) << qint32(count);
    out << quint32(rep.opaqueOps.size());
    for (const auto& [op, count] : rep.opaqueOps)
        out << bytes(op) << qint32(count);
    putStrings(out, rep.unmapped);
    out << quint32(rep.shapeDisagreements.size());
    for (const auto& d : rep.shapeDisagreements)
        out << bytes(d.tensor) << bytes(d.layer) << bytes(d.ours) << bytes(d.theirs) << bytes(d.source);
    putStrings(out, rep.paramDisagreements);
    putStrings(out, rep.notes);
    out << quint32(r->outputs.size());
    for (const auto& o : r->outputs) {
        out << bytes(o.name) << quint32(o.dims.size());
        for (int64_t d : o.dims)
            out << qint64(d);
    }
    return buf;
}

Result<ImportResult> decode(const QByteArray& buf)
{
    const Error damaged{"internal: the import process sent a damaged result"};
    QDataStream in(buf);
    quint32 tag = 0;
    bool ok = false;
    in >> tag >> ok;
    if (in.status() != QDataStream::Ok || tag != 0x4e43494d)
        return damaged;
    if (!ok) {
        QByteArray e;
        in >> e;
        return Error{text(e)};
    }
    ImportResult r;
    QByteArray design;
    in >> design;
    auto net = parseNetwork(design);
    if (!net)
        return Error{"internal: the imported design does not load back: " + net.error()};
    r.network = std::move(*net);
    ImportReport& rep = r.report;
    qint32 i32[7] = {};
    qint64 i64[2] = {};
    for (auto& x : i32)
        in >> x;
    in >> i64[0] >> i64[1];
    rep.onnxNodes = i32[0];
    rep.layers = i32[1];
    rep.fusedNodes = i32[2];
    rep.foldedNodes = i32[3];
    rep.opaqueLayers = i32[4];
    rep.skippedNodes = i32[5];
    rep.droppedEdges = i32[6];
    rep.initializerValues = i64[0];
    rep.unattributedValues = i64[1];
    quint32 n = 0;
    in >> n;
    for (quint32 k = 0; k < n && in.status() == QDataStream::Ok; ++k) {
        QByteArray op;
        qint32 count = 0;
        in >> op >> count;
        rep.unknownOps.emplace_back(text(op), count);
    }
    in >> n;
    for (quint32 k = 0; k < n && in.status() == QDataStream::Ok; ++k) {
        QByteArray op;
        qint32 count = 0;
        in >> op >> count;
        rep.opaqueOps.emplace_back(text(op), count);
    }
    if (!getStrings(in, rep.unmapped))
        return damaged;
    in >> n;
    for (quint32 k = 0; k < n && in.status() == QDataStream::Ok; ++k) {
        QByteArray f[5];
        for (auto& x : f)
            in >> x;
        rep.shapeDisagreements.push_back({text(f[0]), text(f[1]), text(f[2]), text(f[3]), text(f[4])});
    }
    if (!getStrings(in, rep.paramDisagreements) || !getStrings(in, rep.notes))
        return damaged;
    in >> n;
    for (quint32 k = 0; k < n && in.status() == QDataStream::Ok; ++k) {
        ImportedOutput o;
        QByteArray name;
        quint32 rank = 0;
        in >> name >> rank;
        o.name = text(name);
        for (quint32 a = 0; a < rank && in.status() == QDataStream::Ok; ++a) {
            qint64 d = 0;
            in >> d;
            o.dims.push_back(d);
        }
        r.outputs.push_back(std::move(o));
    }
    if (in.status() != QDataStream::Ok)
        return damaged;
    return r;
}

#if NC_HAVE_FORK
bool writeAll(int fd, const char* p, size_t n)
{
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}
#endif

} // namespace

Result<ImportResult> importOnnxIsolated(const QString& path, const ImportOptions& options)
{
#if NC_HAVE_FORK
    int fds[2];
    if (::pipe(fds) != 0)
        return importOnnx(path, options);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return importOnnx(path, options);
    }
    if (pid == 0) {
        // The child: only this import runs here; _exit skips the parent's atexit handlers and buffers.
        ::close(fds[0]);
        const QByteArray out = encode(importOnnx(path, options));
        ::_exit(writeAll(fds[1], out.constData(), static_cast<size_t>(out.size())) ? 0 : 3);
    }
    ::close(fds[1]);
    QByteArray buf;
    char chunk[65536];
    for (;;) {
        ssize_t got = ::read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        buf.append(chunk, static_cast<qsizetype>(got));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* name = sigabbrev_np(sig);
        return Error{path.toStdString() + ": the ONNX reader crashed on this file (signal " + std::to_string(sig) +
                     (name ? std::string(", SIG") + name : std::string()) +
                     ") inside ONNX's shape inference; the file is damaged or hostile. Nothing was imported"};
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error{path.toStdString() + ": the import process failed (exit " +
                     std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "); nothing was imported"};
    return decode(buf);
#else
    return importOnnx(path, options);
#endif
}

} // namespace nc::core::onnx
