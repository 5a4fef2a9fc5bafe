// Runs the usage examples of the core headers and READMEs (extracted by examples/extract_examples.py
// at build time): an example that calls something that does not exist breaks the build, and one that
// fails at run time fails here.
#include "tests/core/examples/ExamplesPrelude.h"

#include <QTemporaryDir>
#include <QTest>

class TestHeaderExamples : public QObject {
    Q_OBJECT
private slots:
    void runs_data();
    void runs();
};

void TestHeaderExamples::runs_data()
{
    QTest::addColumn<int>("index");
    for (size_t i = 0; i < examples().size(); ++i)
        QTest::newRow((std::string(examples()[i].source) + " #" + std::to_string(i)).c_str()) << static_cast<int>(i);
}

void TestHeaderExamples::runs()
{
    QFETCH(int, index);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    exampleDir() = dir.path();
    const QString before = QDir::currentPath();
    Status s = examples()[static_cast<size_t>(index)].run();
    QDir::setCurrent(before);
    QVERIFY2(s.ok(), s.error().c_str());
}

QTEST_GUILESS_MAIN(TestHeaderExamples)
#include "tst_header_examples.moc"
