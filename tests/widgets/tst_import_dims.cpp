// tst_import_dims: an ONNX model whose input leaves a size open (a symbolic sequence length, an unnamed
// dimension) is imported through the window: the designer asks for the size in a dialog naming the
// input and the axis, and imports with the answer; cancelling leaves the open design untouched.
#include "DesignerFixture.h"

#include "core/onnx/OnnxImport.h"

#include <onnx/onnx_pb.h>

#include <QFile>
#include <QInputDialog>
#include <QTimer>

using namespace nc;

namespace {

// tokens [batch, DIM1, 8] → Relu → y. DIM1 is the symbol `seq`, or unnamed when `symbol` is empty.
QByteArray reluModel(const std::string& symbol)
{
    ::onnx::ModelProto m;
    m.set_ir_version(7);
    m.add_opset_import()->set_version(14);
    auto* g = m.mutable_graph();
    g->set_name("open_dims");
    auto* n = g->add_node();
    n->set_op_type("Relu");
    n->set_name("relu");
    n->add_input("tokens");
    n->add_output("y");
    for (auto* v : {g->add_input(), g->add_output()}) {
        v->set_name(v == &g->input(0) ? "tokens" : "y");
        auto* t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(::onnx::TensorProto::FLOAT);
        auto* s = t->mutable_shape();
        s->add_dim()->set_dim_param("batch");
        auto* d = s->add_dim();
        if (!symbol.empty())
            d->set_dim_param(symbol);
        s->add_dim()->set_dim_value(8);
    }
    std::string bytes;
    m.SerializeToString(&bytes);
    return QByteArray::fromStdString(bytes);
}

QString write(test::Designer& d, const QString& name, const QByteArray& bytes)
{
    const QString path = d.dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        return {};
    return path;
}

// Answers every size dialog with `size` (or cancels it when size is 0), recording each label.
struct Answerer {
    QStringList labels;
    QTimer timer;
    explicit Answerer(int size)
    {
        timer.setInterval(20);
        QObject::connect(&timer, &QTimer::timeout, [this, size] {
            auto* dlg = qobject_cast<QInputDialog*>(QApplication::activeModalWidget());
            if (!dlg)
                return;
            labels << dlg->labelText();
            if (size > 0) {
                dlg->setIntValue(size);
                dlg->accept();
            } else {
                dlg->reject();
            }
        });
        timer.start();
    }
};

} // namespace

class TestImportDims : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }
    void symbolicLengthIsAskedFor();
    void unnamedDimensionIsAskedFor();
    void cancelLeavesTheDesignUntouched();
    void errorNamesTheDimension();
};

void TestImportDims::symbolicLengthIsAskedFor()
{
    test::Designer d(/*interactive=*/true);
    const QString path = write(d, "seq.onnx", reluModel("seq"));
    QVERIFY(!path.isEmpty());
    Answerer a(32);
    QVERIFY2(d.w().importOnnxFile(path), qPrintable(d.w().lastError()));
    QCOMPARE(a.labels.size(), 1);
    QVERIFY2(a.labels[0].contains("\"tokens\"") && a.labels[0].contains("axis 1") && a.labels[0].contains("\"seq\""),
             qPrintable(a.labels[0]));
    // The input layer takes the answer: per sample seq × 8 = 32 × 8 (the batch stays 1).
    const core::Node* in = nullptr;
    for (const core::Node& n : d.net().nodes())
        if (n.type == core::LayerType::Input)
            in = &n;
    QVERIFY(in);
    QCOMPARE(in->params.dims, (core::Shape{32, 8}));
}

void TestImportDims::unnamedDimensionIsAskedFor()
{
    test::Designer d(/*interactive=*/true);
    const QString path = write(d, "unnamed.onnx", reluModel(""));
    QVERIFY(!path.isEmpty());
    Answerer a(5);
    QVERIFY2(d.w().importOnnxFile(path), qPrintable(d.w().lastError()));
    QCOMPARE(a.labels.size(), 1);
    QVERIFY2(a.labels[0].contains("\"tokens\"") && a.labels[0].contains("axis 1"), qPrintable(a.labels[0]));
    const core::Node* in = nullptr;
    for (const core::Node& n : d.net().nodes())
        if (n.type == core::LayerType::Input)
            in = &n;
    QVERIFY(in);
    QCOMPARE(in->params.dims, (core::Shape{5, 8}));
}

void TestImportDims::cancelLeavesTheDesignUntouched()
{
    test::Designer d(/*interactive=*/true);
    d.load(test::smallNet());
    const QString path = write(d, "seq.onnx", reluModel("seq"));
    Answerer a(0);
    QVERIFY(!d.w().importOnnxFile(path));
    QCOMPARE(a.labels.size(), 1);
    QCOMPARE(d.net(), test::smallNet());
}

void TestImportDims::errorNamesTheDimension()
{
    // What the import says without a dialog (the CLI, a non-interactive window) reads back as the
    // dimension it names, and its key gives the size.
    auto r = core::onnx::importOnnxBytes(reluModel("seq"), {});
    QVERIFY(!r);
    auto m = core::onnx::missingDimension(r.error());
    QVERIFY2(m, r.error().c_str());
    QCOMPARE(m->input, std::string("tokens"));
    QCOMPARE(m->axis, 1);
    QCOMPARE(m->key(), std::string("seq"));
    auto u = core::onnx::importOnnxBytes(reluModel(""), {});
    QVERIFY(!u);
    m = core::onnx::missingDimension(u.error());
    QVERIFY2(m, u.error().c_str());
    QCOMPARE(m->key(), std::string("tokens[1]"));
    core::onnx::ImportOptions o;
    o.symbols["tokens[1]"] = 7;
    auto ok = core::onnx::importOnnxBytes(reluModel(""), o);
    QVERIFY2(ok, ok ? "" : ok.error().c_str());
    QCOMPARE(ok->outputs[0].dims, (std::vector<int64_t>{1, 7, 8}));
}

QTEST_MAIN(TestImportDims)
#include "tst_import_dims.moc"
