// Runs Python snippets with Debian's interpreter, the one python3-torch, python3-torchvision and
// python3-onnx are installed for. The python3 first on PATH may be another interpreter without
// torch, so the path is fixed; tests fail, never skip, when it is missing.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace nctest {

inline constexpr const char* kTorchPython = "/usr/bin/python3";

// Runs `python3 -c code args…` and returns its standard output. A failure is returned as text the
// caller's check shows: "TIMEOUT", or "ERROR " followed by the script's standard error.
inline QString runPython(const QString& code, const QStringList& args = {}, int timeoutMs = 180000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PYTHONDONTWRITEBYTECODE", "1"); // keeps the source tree free of __pycache__
    p.setProcessEnvironment(env);
    p.start(kTorchPython, QStringList{"-c", code} + args);
    if (!p.waitForFinished(timeoutMs))
        return "TIMEOUT";
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return "ERROR " + QString::fromUtf8(p.readAllStandardError());
    return out;
}

} // namespace nctest
