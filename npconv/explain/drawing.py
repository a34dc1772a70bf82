"""One drawing model, two outputs: a :class:`Scene` of rectangles, lines and text rendered as SVG
(text, no dependency) or as a Pillow image (PNG frames, GIF animations; Pillow is optional).

Diagrams are built once as a Scene; neither renderer knows what a convolution is.
"""
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

__all__ = ["Rect", "Line", "Text", "Scene", "require_pillow", "readable_text_color"]

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str = "#ffffff"
    stroke: str = "#777777"
    stroke_width: float = 1.0
    dashed: bool = False
    label: str = ""
    label_color: str = "#222222"
    font_size: float = 11.0
    kind: str = ""          # SVG class, e.g. "out-cell" (lets tests and CSS find the cells)

    def __post_init__(self):
        if self.label and self.fill.startswith("#"):   # a label is always readable on its own fill
            self.label_color = readable_text_color(self.fill)


def _luminance(color):
    """WCAG relative luminance of a ``#rrggbb`` colour."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_text_color(fill, dark="#222222", light="#ffffff"):
    """The text colour (dark or white) with the higher WCAG contrast ratio on ``fill``."""
    background = _luminance(fill)
    on_dark = (max(background, _luminance(dark)) + 0.05) / (min(background, _luminance(dark)) + 0.05)
    on_light = (max(background, _luminance(light)) + 0.05) / (min(background, _luminance(light)) + 0.05)
    return dark if on_dark >= on_light else light


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str = "#555555"
    width: float = 1.0
    dashed: bool = False


@dataclass
class Text:
    x: float
    y: float
    text: str
    size: float = 13.0
    color: str = "#222222"
    anchor: str = "start"   # start | middle | end
    bold: bool = False


@dataclass
class Scene:
    """A picture: a canvas size and the shapes drawn on it, in order."""
    width: float = 0.0
    height: float = 0.0
    items: list = field(default_factory=list)
    background: str = "#ffffff"

    def add(self, item):
        self.items.append(item)
        right = getattr(item, "x", 0) + getattr(item, "width", 0)
        bottom = getattr(item, "y", 0) + getattr(item, "height", 0)
        if isinstance(item, Line):
            right, bottom = max(item.x1, item.x2), max(item.y1, item.y2)
        if isinstance(item, Text):
            right = item.x + (0.6 * item.size * len(item.text) if item.anchor == "start" else 0)
            bottom = item.y + 0.3 * item.size
        self.width = max(self.width, right)
        self.height = max(self.height, bottom)
        return item

    # ---- SVG ---------------------------------------------------------------------------------------
    def to_svg(self, margin=10):
        width, height = int(self.width + 2 * margin), int(self.height + 2 * margin)
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                 f'viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}">',
                 f'<rect x="0" y="0" width="{width}" height="{height}" fill="{self.background}"/>',
                 f'<g transform="translate({margin},{margin})">']
        parts += [_svg_item(item) for item in self.items]
        parts.append("</g></svg>")
        return "\n".join(parts)

    # ---- raster ------------------------------------------------------------------------------------
    def to_image(self, margin=10, scale=1.0):
        """The scene as a Pillow RGB image (``pip install 'npconv[images]'``)."""
        Image = require_pillow()
        from PIL import ImageDraw
        fonts = {}
        width = int((self.width + 2 * margin) * scale)
        height = int((self.height + 2 * margin) * scale)
        image = Image.new("RGB", (width, height), self.background)
        draw = ImageDraw.Draw(image)

        def at(value):
            return (value + margin) * scale

        for item in self.items:
            if isinstance(item, Rect):
                box = [at(item.x), at(item.y), at(item.x + item.width), at(item.y + item.height)]
                if item.fill != "none":
                    draw.rectangle(box, fill=item.fill)
                _raster_outline(draw, box, item.stroke, max(1, round(item.stroke_width * scale)), item.dashed)
                if item.label:
                    draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), item.label,
                              fill=item.label_color, anchor="mm", font=_font(fonts, item.font_size * scale))
            elif isinstance(item, Line):
                points = [at(item.x1), at(item.y1), at(item.x2), at(item.y2)]
                _raster_line(draw, points, item.color, max(1, round(item.width * scale)), item.dashed)
            elif isinstance(item, Text):
                anchor = {"start": "ls", "middle": "ms", "end": "rs"}[item.anchor]
                draw.text((at(item.x), at(item.y)), item.text, fill=item.color, anchor=anchor,
                          font=_font(fonts, item.size * scale, item.bold))
        return image


def _svg_item(item):
    if isinstance(item, Rect):
        dash = ' stroke-dasharray="3,2"' if item.dashed else ""
        kind = f' class="{item.kind}"' if item.kind else ""
        rect = (f'<rect{kind} x="{item.x:g}" y="{item.y:g}" width="{item.width:g}" height="{item.height:g}" '
                f'fill="{item.fill}" stroke="{item.stroke}" stroke-width="{item.stroke_width:g}"{dash}/>')
        if not item.label:
            return rect
        return rect + (f'<text x="{item.x + item.width / 2:g}" y="{item.y + item.height / 2:g}" '
                       f'font-size="{item.font_size:g}" fill="{item.label_color}" text-anchor="middle" '
                       f'dominant-baseline="central">{escape(item.label)}</text>')
    if isinstance(item, Line):
        dash = ' stroke-dasharray="4,3"' if item.dashed else ""
        return (f'<line x1="{item.x1:g}" y1="{item.y1:g}" x2="{item.x2:g}" y2="{item.y2:g}" '
                f'stroke="{item.color}" stroke-width="{item.width:g}"{dash}/>')
    weight = ' font-weight="bold"' if item.bold else ""
    return (f'<text x="{item.x:g}" y="{item.y:g}" font-size="{item.size:g}" fill="{item.color}" '
            f'text-anchor="{item.anchor}"{weight} xml:space="preserve">{escape(item.text)}</text>')


def require_pillow():
    """Return PIL.Image, or raise ImportError with the install command when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("PNG and GIF output need Pillow: pip install 'npconv[images]' "
                          "(SVG output works without it)") from None
    return Image


def _font(cache, size, bold=False):
    from PIL import ImageFont
    key = (round(size), bold)
    if key not in cache:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        try:
            cache[key] = ImageFont.truetype(name, key[0])
        except OSError:   # no DejaVu on this system: Pillow's own scalable font
            cache[key] = ImageFont.load_default(size=key[0])
    return cache[key]


def _raster_outline(draw, box, color, width, dashed):
    x0, y0, x1, y1 = box
    for points in ([x0, y0, x1, y0], [x1, y0, x1, y1], [x1, y1, x0, y1], [x0, y1, x0, y0]):
        _raster_line(draw, points, color, width, dashed)


def _raster_line(draw, points, color, width, dashed, dash=4, gap=3):
    if not dashed:
        draw.line(points, fill=color, width=width)
        return
    x0, y0, x1, y1 = points
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    step = 0.0
    while step < length:
        end = min(step + dash, length)
        draw.line([x0 + (x1 - x0) * step / length, y0 + (y1 - y0) * step / length,
                   x0 + (x1 - x0) * end / length, y0 + (y1 - y0) * end / length], fill=color, width=width)
        step += dash + gap
