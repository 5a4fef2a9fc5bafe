// NodeItem: drawing and port geometry of a layer node.
#include "NodeItem.h"

#include "GraphScene.h"
#include "NameText.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>
#include <utility>

namespace nc::widgets {

namespace {

// Fonts in scene units (pixel sizes), so text scales with the zoom like the rest of the node.
const QFont& nameFont()
{
    static const QFont f = [] {
        QFont x(QStringLiteral("DejaVu Sans"));
        x.setPixelSize(NodeItem::kTitlePixels);
        x.setBold(true);
        return x;
    }();
    return f;
}
const QFont& blockNameFont()
{
    static const QFont f = [] {
        QFont x(QStringLiteral("DejaVu Sans"));
        x.setPixelSize(NodeItem::kBlockTitlePixels);
        x.setBold(true);
        return x;
    }();
    return f;
}
const QFont& detailFont()
{
    static const QFont f = [] {
        QFont x(QStringLiteral("DejaVu Sans"));
        x.setPixelSize(12);
        return x;
    }();
    return f;
}
const QFont& shapeFont()
{
    static const QFont f = [] {
        QFont x(QStringLiteral("DejaVu Sans Mono"));
        x.setPixelSize(13);
        x.setBold(true);
        return x;
    }();
    return f;
}
const QFont& tagFont()
{
    static const QFont f = [] {
        QFont x(QStringLiteral("DejaVu Sans"));
        x.setPixelSize(9);
        x.setBold(true);
        return x;
    }();
    return f;
}

const QRectF kBody(-NodeItem::kWidth / 2, -NodeItem::kHeight / 2, NodeItem::kWidth, NodeItem::kHeight);

} // namespace

NodeItem::NodeItem(core::NodeId id) : m_id(id)
{
    setFlags(ItemIsSelectable | ItemIsMovable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setZValue(1); // above edges
}

bool NodeItem::setLook(NodeLook look)
{
    if (look == m_look)
        return false;
    m_look = std::move(look);
    m_textsDirty = true;
    update();
    return true;
}

namespace {
constexpr qreal kTextLeft = -NodeItem::kWidth / 2 + 12;
constexpr qreal kTextRight = NodeItem::kWidth / 2 - 8;

QStaticText staticText(const QString& s)
{
    QStaticText t(s);
    t.setTextFormat(Qt::PlainText);
    t.setPerformanceHint(QStaticText::AggressiveCaching);
    return t;
}
} // namespace

void NodeItem::layoutTexts()
{
    const bool error = m_look.state == NodeLook::State::Error;
    qreal nameRight = kTextRight;
    if (error)
        nameRight -= 18;
    if (m_look.overBudget)
        nameRight -= 68;
    m_nameText = staticText(fitName(m_look.name, QFontMetricsF(titleFont()), nameRight - kTextLeft));
    m_detailText = staticText(
        QFontMetricsF(detailFont()).elidedText(m_look.detail, Qt::ElideRight, kTextRight - kTextLeft));
    m_costWidth = QFontMetricsF(detailFont()).horizontalAdvance(m_look.costText);
    m_costText = staticText(m_look.costText);
    m_shapeText = staticText(
        QFontMetricsF(shapeFont())
            .elidedText(m_look.shapeText, Qt::ElideRight, kTextRight - kTextLeft - m_costWidth - 6));
}

const QFont& NodeItem::titleFont() const
{
    return m_look.members > 0 ? blockNameFont() : nameFont();
}

QString NodeItem::titleText()
{
    if (std::exchange(m_textsDirty, false))
        layoutTexts();
    return m_nameText.text();
}

QPointF NodeItem::inputPortLocal(int port) const
{
    const int n = std::max(m_look.inputs, 1);
    return {kBody.left() + kBody.width() * (port + 1) / (n + 1), kBody.top()};
}

QPointF NodeItem::outputPortLocal(int port) const
{
    const int n = std::max(m_look.outputs, 1);
    return {kBody.left() + kBody.width() * (port + 1) / (n + 1), kBody.bottom()};
}

QPointF NodeItem::inputPortPos(int port) const { return mapToScene(inputPortLocal(port)); }
QPointF NodeItem::outputPortPos(int port) const { return mapToScene(outputPortLocal(port)); }

int NodeItem::inputPortAt(QPointF scenePos, qreal radius) const
{
    const QPointF p = mapFromScene(scenePos);
    int best = -1;
    qreal bestD = radius;
    for (int k = 0; k < m_look.inputs; ++k) {
        const qreal d = QLineF(p, inputPortLocal(k)).length();
        if (d <= bestD) {
            best = k;
            bestD = d;
        }
    }
    return best;
}

int NodeItem::outputPortAt(QPointF scenePos, qreal radius) const
{
    const QPointF p = mapFromScene(scenePos);
    int best = -1;
    qreal bestD = radius;
    for (int k = 0; k < std::max(m_look.outputs, 1); ++k) {
        const qreal d = QLineF(p, outputPortLocal(k)).length();
        if (d <= bestD) {
            best = k;
            bestD = d;
        }
    }
    return best;
}

void NodeItem::setHighlightedPort(int port)
{
    if (port != m_highlight) {
        m_highlight = port;
        update();
    }
}

QRectF NodeItem::boundingRect() const { return kBody.adjusted(-10, -10, 10, 10); }

QPainterPath NodeItem::shape() const
{
    QPainterPath p;
    p.addRect(kBody.adjusted(0, -kPortRadius - 3, 0, kPortRadius + 3));
    return p;
}

void NodeItem::paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const qreal lod = option->levelOfDetailFromTransform(p->worldTransform());
    const bool error = m_look.state == NodeLook::State::Error;
    const bool blocked = m_look.state == NodeLook::State::Blocked;

    QPen border(QColor(0x90, 0x90, 0x90), 1);
    if (m_look.overBudget)
        border = QPen(QColor(0x8e, 0x24, 0xaa), 2.5, Qt::DashLine);
    if (error)
        border = QPen(QColor(0xd3, 0x2f, 0x2f), 2.5);
    if (isSelected())
        border = QPen(QColor(0x1e, 0x6f, 0xd9), 3);
    if (m_look.members > 0) {
        // A collapsed block: a card behind the card, so it reads as several layers.
        p->setPen(QPen(QColor(0x70, 0x70, 0x70), 1));
        p->setBrush(m_look.fill.darker(108));
        p->drawRoundedRect(kBody.translated(6, 6), 6, 6);
        if (!isSelected() && !error)
            border = QPen(QColor(0x45, 0x5a, 0x64), 2);
    }
    p->setPen(border);
    p->setBrush(blocked ? QColor(0xee, 0xee, 0xee) : m_look.fill);
    p->drawRoundedRect(kBody, 6, 6);

    // Category stripe on the left edge.
    p->setPen(Qt::NoPen);
    p->setBrush(m_look.accent);
    p->drawRoundedRect(QRectF(kBody.left() + 1.5, kBody.top() + 1.5, 5, kBody.height() - 3), 2, 2);

    if (lod < 0.35) {
        // Zoomed far out: text would be unreadable and costly; keep the colours and the error mark.
        if (error) {
            p->setBrush(QColor(0xd3, 0x2f, 0x2f));
            p->drawEllipse(QPointF(kBody.right() - 14, kBody.top() + 14), 12, 12);
        }
        return;
    }

    if (m_textsDirty) {
        layoutTexts();
        m_textsDirty = false;
    }
    const QColor ink = blocked ? QColor(0x88, 0x88, 0x88) : QColor(0x21, 0x21, 0x21);
    const qreal right = kTextRight;
    // Each line's text is centred in its band: name 3–22, detail 22–38, shape and cost 41–58.
    auto topFor = [](const QFont& f, qreal bandTop, qreal bandHeight) {
        return bandTop + (bandHeight - QFontMetricsF(f).height()) / 2;
    };
    p->setFont(titleFont());
    p->setPen(ink);
    p->drawStaticText(QPointF(kTextLeft, topFor(titleFont(), kBody.top() + 3, 19)), m_nameText);
    p->setFont(detailFont());
    p->setPen(blocked ? ink : QColor(0x45, 0x45, 0x45));
    p->drawStaticText(QPointF(kTextLeft, topFor(detailFont(), kBody.top() + 22, 16)), m_detailText);
    p->setPen(QColor(0x55, 0x55, 0x55));
    p->drawStaticText(QPointF(right - m_costWidth, topFor(detailFont(), kBody.top() + 41, 17)), m_costText);
    p->setFont(shapeFont());
    p->setPen(error ? QColor(0xc6, 0x28, 0x28) : ink);
    p->drawStaticText(QPointF(kTextLeft, topFor(shapeFont(), kBody.top() + 41, 17)), m_shapeText);

    // Share of the network total as a bar along the bottom edge.
    if (m_look.share > 0) {
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(0xd8, 0x43, 0x15));
        const qreal w = std::max<qreal>(2, (kBody.width() - 16) * m_look.share);
        p->drawRect(QRectF(kBody.left() + 8, kBody.bottom() - 4, w, 2.5));
    }

    // Ports: filled when connected; the one a dragged connection would land on is highlighted.
    for (int k = 0; k < m_look.inputs; ++k) {
        const bool connected = k < 32 && (m_look.connectedPorts >> k) & 1u;
        p->setPen(QPen(QColor(0x60, 0x60, 0x60), 1.2));
        p->setBrush(k == m_highlight ? QColor(0x1e, 0x88, 0xe5)
                    : connected      ? QColor(0x70, 0x70, 0x70)
                                     : Qt::white);
        p->drawEllipse(inputPortLocal(k), k == m_highlight ? kPortRadius + 2 : kPortRadius,
                       k == m_highlight ? kPortRadius + 2 : kPortRadius);
    }
    p->setPen(QPen(QColor(0x60, 0x60, 0x60), 1.2));
    p->setBrush(QColor(0xfa, 0xfa, 0xfa));
    for (int k = 0; k < std::max(m_look.outputs, 1); ++k)
        p->drawEllipse(outputPortLocal(k), kPortRadius, kPortRadius);

    if (m_look.overBudget) {
        const QRectF tag(right - 64 - (error ? 18 : 0), kBody.top() + 5, 64, 14);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(0x8e, 0x24, 0xaa));
        p->drawRoundedRect(tag, 7, 7);
        p->setPen(Qt::white);
        p->setFont(tagFont());
        p->drawText(tag, Qt::AlignCenter, QStringLiteral("over budget"));
    }
    if (error) {
        const QPointF c(kBody.right() - 10, kBody.top() + 12);
        p->setPen(QPen(Qt::white, 1.5));
        p->setBrush(QColor(0xd3, 0x2f, 0x2f));
        p->drawEllipse(c, 8.5, 8.5);
        p->setFont(nameFont());
        p->drawText(QRectF(c.x() - 8, c.y() - 9, 16, 18), Qt::AlignCenter, QStringLiteral("!"));
    }
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value)
{
    if (change == ItemPositionHasChanged)
        if (auto* s = qobject_cast<GraphScene*>(scene()))
            s->nodeMoved(m_id);
    return QGraphicsItem::itemChange(change, value);
}

} // namespace nc::widgets
