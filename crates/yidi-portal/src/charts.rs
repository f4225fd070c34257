//! Charts drawn on the server as inline SVG (no script, no external asset).
//!
//! Key design decision: a chart is a pure function of its data and returns the SVG text, so the
//! same data always draws the same bytes and geometry is tested as numbers (the tallest bar, the
//! widest band). Every chart carries a `<title>`, a `<desc>` summary and `role="img"` with
//! `aria-labelledby`; every mark has its own `<title>` (the value, shown on hover and read by
//! screen readers); and the page always puts the same data in a table beside it, so nothing is
//! only visible as a picture. Empty data renders a "暂无数据" box instead of an empty axis.
//! Coordinates are floats with one decimal: they are geometry, never money.

use std::fmt::Write;

use crate::html::escape;
use crate::i18n::Lang;

/// Fill colours of series, in order (distinguishable, and dark enough for white text nearby).
pub const PALETTE: [&str; 6] = ["#0b5394", "#d97706", "#15803d", "#7c3aed", "#be123c", "#0e7490"];

/// How values are written in labels and titles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain count.
    Count,
    /// Integer fen, written as yuan with two decimals.
    Fen,
    /// Basis points, written as a percentage with two decimals.
    Bp,
}

impl Unit {
    pub fn format(self, value: u64) -> String {
        match self {
            Unit::Count => group_digits(&value.to_string()),
            Unit::Fen => {
                let (yuan, fen) = (value / 100, value % 100);
                format!("{}.{fen:02}", group_digits(&yuan.to_string()))
            }
            Unit::Bp => format!("{}.{:02}%", group_digits(&(value / 100).to_string()), value % 100),
        }
    }
}

/// `1234567` → `1,234,567`.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One series of a bar chart: its name and one value per category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub values: Vec<u64>,
}

/// Stacked bars: one bar per category, one segment per series.
#[derive(Clone, Debug)]
pub struct BarChart<'a> {
    /// Unique within the page (used for `id`s).
    pub id: &'a str,
    pub title: &'a str,
    pub lang: Lang,
    pub unit: Unit,
    /// Labels under the bars (dates, months).
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Fill colour of each series, in order ([`PALETTE`] unless a chart's colours mean something,
    /// e.g. warning levels).
    pub palette: &'a [&'a str],
}

/// Drawing area of a bar chart.
pub const BAR_WIDTH_PX: f64 = 720.0;
pub const BAR_HEIGHT_PX: f64 = 260.0;
const PAD_LEFT: f64 = 64.0;
const PAD_RIGHT: f64 = 12.0;
const PAD_TOP: f64 = 16.0;
const PAD_BOTTOM: f64 = 40.0;
/// Height of the plot area: a bar of the axis maximum is this tall.
pub const PLOT_HEIGHT_PX: f64 = BAR_HEIGHT_PX - PAD_TOP - PAD_BOTTOM;
/// Widest bar, so a chart of one or two categories does not draw slabs.
const BAR_MAX_PX: f64 = 56.0;
/// Gridlines drawn (axis maximum divided into this many steps).
const TICKS: u64 = 4;

/// The smallest "nice" axis maximum ≥ `max`: 1, 2, 2.5, 5 or 10 × 10^k, divisible into
/// [`TICKS`] steps; 0 stays 0.
pub fn nice_max(max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let mut magnitude: u64 = 1;
    while magnitude.saturating_mul(10) <= max {
        magnitude *= 10;
    }
    for step in [1, 2, 4, 5, 8, 10] {
        let candidate = magnitude.saturating_mul(step);
        if candidate >= max && (candidate.is_multiple_of(TICKS) || candidate < TICKS) {
            return candidate;
        }
    }
    magnitude.saturating_mul(10)
}

/// Narrowest a chart is drawn: on a phone it scrolls sideways inside its own box (the page does
/// not), so its labels stay readable; the table beside it has the same data.
pub const CHART_WIDTH_MIN_PX: u32 = 540;

/// Opens a chart's figure and its scrolling box.
const CHART_OPEN: &str = "<figure class=\"chart\"><div class=\"chart-scroll\" style=\"overflow-x:auto\">";

/// `x` with one decimal (SVG coordinates).
fn px(x: f64) -> String {
    format!("{x:.1}")
}

fn empty(id: &str, title: &str, lang: Lang) -> String {
    format!(
        "<figure class=\"chart chart-empty\" id=\"{}\" aria-label=\"{}\"><p class=\"muted\">{}</p></figure>\n",
        escape(id),
        escape(title),
        lang.pick("暂无数据", "No data")
    )
}

/// Opens an accessible `<svg>` with its title and description.
fn svg_open(out: &mut String, id: &str, title: &str, desc: &str, width: f64, height: f64) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg class=\"chart-svg\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         viewBox=\"0 0 {w} {h}\" width=\"100%\" style=\"min-width:{CHART_WIDTH_MIN_PX}px\" \
         preserveAspectRatio=\"xMidYMid meet\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"11\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(desc),
        w = width,
        h = height,
    );
}

/// A legend as HTML (colour swatch + series name), shown under a chart.
fn legend(names: &[&str], palette: &[&str]) -> String {
    let mut out = String::from(
        "<ul class=\"legend\" style=\"list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;padding:0;margin:4px 0\">",
    );
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"display:inline-block;width:12px;height:12px;margin-right:6px;\
             background:{}\" aria-hidden=\"true\"></span>{}</li>",
            palette[i % palette.len().max(1)],
            escape(name)
        );
    }
    out.push_str("</ul>");
    out
}

/// A stacked bar chart in a `<figure>`, or the empty state when every value is 0.
pub fn bar_chart(c: &BarChart<'_>) -> String {
    let n = c.categories.len();
    let totals: Vec<u64> =
        (0..n).map(|i| c.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0)).sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    if n == 0 || max == 0 {
        return empty(c.id, c.title, c.lang);
    }
    let axis_max = nice_max(max);
    let plot_w = BAR_WIDTH_PX - PAD_LEFT - PAD_RIGHT;
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.7).clamp(1.0, BAR_MAX_PX);
    let base_y = PAD_TOP + PLOT_HEIGHT_PX;
    let height_of = |v: u64| v as f64 * PLOT_HEIGHT_PX / axis_max as f64;
    let sum: u64 = totals.iter().sum();
    let desc = format!(
        "{} {}，{} {}，{} {}",
        c.lang.pick("共", "Total"),
        c.unit.format(sum),
        c.lang.pick("最高", "highest"),
        c.unit.format(max),
        n,
        c.lang.pick("项", "categories")
    );
    // The panel's heading names the chart on the page; the SVG's own title names it for
    // assistive technology.
    let mut out = String::from(CHART_OPEN);
    svg_open(&mut out, c.id, c.title, &desc, BAR_WIDTH_PX, BAR_HEIGHT_PX);
    for t in 0..=TICKS {
        let value = axis_max * t / TICKS;
        let y = base_y - height_of(value);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#c9d1d9\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#4a5560\">{}</text>",
            px(PAD_LEFT),
            px(BAR_WIDTH_PX - PAD_RIGHT),
            px(PAD_LEFT - 6.0),
            px(y + 4.0),
            escape(&c.unit.format(value)),
            y = px(y),
        );
    }
    // Label at most ~12 categories so the axis stays readable; the table has them all.
    let label_every = n.div_ceil(12).max(1);
    for (i, category) in c.categories.iter().enumerate() {
        let x = PAD_LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut top = base_y;
        for (k, s) in c.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = height_of(v);
            top -= h;
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" data-value=\"{v}\">\
                 <title>{} · {}：{}</title></rect>",
                px(x),
                px(top),
                px(bar_w),
                px(h),
                c.palette[k % c.palette.len().max(1)],
                escape(category),
                escape(&s.name),
                escape(&c.unit.format(v)),
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1b1f23\">{}</text>",
                px(x + bar_w / 2.0),
                px(base_y + 16.0),
                escape(category)
            );
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#1b1f23\" stroke-width=\"1\"/></svg></div>",
        l = px(PAD_LEFT),
        r = px(BAR_WIDTH_PX - PAD_RIGHT),
        b = px(base_y)
    );
    let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
    if names.len() > 1 {
        out.push_str(&legend(&names, c.palette));
    }
    out.push_str("</figure>\n");
    out
}

/// One edge of a flow chart: origin node → destination node, and its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowEdge {
    pub from: String,
    pub to: String,
    pub value: u64,
}

/// A two-column flow chart: origins on the left, destinations on the right, a band between each
/// pair whose width is proportional to its value.
#[derive(Clone, Debug)]
pub struct FlowChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub lang: Lang,
    pub unit: Unit,
    /// Heading over the left column (e.g. 参保地) and the right one (e.g. 就医地).
    pub from_label: &'a str,
    pub to_label: &'a str,
    pub edges: Vec<FlowEdge>,
}

pub const FLOW_WIDTH_PX: f64 = 720.0;
/// The widest band (the largest value).
pub const FLOW_BAND_MAX_PX: f64 = 36.0;
const FLOW_ROW_PX: f64 = 48.0;
const FLOW_NODE_X_LEFT: f64 = 170.0;
const FLOW_NODE_X_RIGHT: f64 = 550.0;

/// The flow chart, or the empty state when no edge has a value.
pub fn flow_chart(c: &FlowChart<'_>) -> String {
    let edges: Vec<&FlowEdge> = c.edges.iter().filter(|e| e.value > 0).collect();
    let max = edges.iter().map(|e| e.value).max().unwrap_or(0);
    if max == 0 {
        return empty(c.id, c.title, c.lang);
    }
    let mut origins: Vec<&str> = Vec::new();
    let mut destinations: Vec<&str> = Vec::new();
    for e in &edges {
        if !origins.contains(&e.from.as_str()) {
            origins.push(&e.from);
        }
        if !destinations.contains(&e.to.as_str()) {
            destinations.push(&e.to);
        }
    }
    let rows = origins.len().max(destinations.len());
    let height = 40.0 + FLOW_ROW_PX * rows as f64;
    let y_of = |i: usize, count: usize| {
        let offset = (rows - count) as f64 * FLOW_ROW_PX / 2.0;
        40.0 + offset + FLOW_ROW_PX * i as f64 + FLOW_ROW_PX / 2.0
    };
    let total: u64 = edges.iter().map(|e| e.value).sum();
    let desc = format!(
        "{} {} → {} {}，{} {}",
        origins.len(),
        c.from_label,
        destinations.len(),
        c.to_label,
        c.lang.pick("合计", "total"),
        c.unit.format(total)
    );
    // The panel's heading names the chart on the page; the SVG's own title names it for
    // assistive technology.
    let mut out = String::from(CHART_OPEN);
    svg_open(&mut out, c.id, c.title, &desc, FLOW_WIDTH_PX, height);
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"20\" text-anchor=\"end\" font-weight=\"bold\" fill=\"#1b1f23\">{}</text>\
         <text x=\"{}\" y=\"20\" font-weight=\"bold\" fill=\"#1b1f23\">{}</text>",
        px(FLOW_NODE_X_LEFT),
        escape(c.from_label),
        px(FLOW_NODE_X_RIGHT),
        escape(c.to_label)
    );
    for (k, e) in edges.iter().enumerate() {
        let i = origins.iter().position(|o| *o == e.from).expect("listed above");
        let j = destinations.iter().position(|d| *d == e.to).expect("listed above");
        let (y1, y2) = (y_of(i, origins.len()), y_of(j, destinations.len()));
        let width = (e.value as f64 * FLOW_BAND_MAX_PX / max as f64).max(1.0);
        let mid = (FLOW_NODE_X_LEFT + FLOW_NODE_X_RIGHT) / 2.0;
        let _ = write!(
            out,
            "<path class=\"band\" d=\"M{x1},{y1} C{m},{y1} {m},{y2} {x2},{y2}\" fill=\"none\" stroke=\"{}\" \
             stroke-opacity=\"0.55\" stroke-width=\"{}\" data-value=\"{}\"><title>{} → {}：{}</title></path>",
            PALETTE[k % PALETTE.len()],
            px(width),
            e.value,
            escape(&e.from),
            escape(&e.to),
            escape(&c.unit.format(e.value)),
            x1 = px(FLOW_NODE_X_LEFT + 6.0),
            x2 = px(FLOW_NODE_X_RIGHT - 6.0),
            m = px(mid),
            y1 = px(y1),
            y2 = px(y2),
        );
    }
    for (i, name) in origins.iter().enumerate() {
        let y = y_of(i, origins.len());
        let _ = write!(
            out,
            "<rect class=\"node\" x=\"{}\" y=\"{}\" width=\"6\" height=\"24\" fill=\"#1b1f23\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1b1f23\">{}</text>",
            px(FLOW_NODE_X_LEFT),
            px(y - 12.0),
            px(FLOW_NODE_X_LEFT - 6.0),
            px(y + 4.0),
            escape(name)
        );
    }
    for (j, name) in destinations.iter().enumerate() {
        let y = y_of(j, destinations.len());
        let _ = write!(
            out,
            "<rect class=\"node\" x=\"{}\" y=\"{}\" width=\"6\" height=\"24\" fill=\"#1b1f23\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"#1b1f23\">{}</text>",
            px(FLOW_NODE_X_RIGHT - 6.0),
            px(y - 12.0),
            px(FLOW_NODE_X_RIGHT + 6.0),
            px(y + 4.0),
            escape(name)
        );
    }
    out.push_str("</svg></div></figure>\n");
    out
}

/// An origin–destination matrix drawn as a heat-map table: rows are origins, columns
/// destinations, and each cell's shade grows with its value (the number is always written too).
#[derive(Clone, Debug)]
pub struct HeatMap<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub lang: Lang,
    pub unit: Unit,
    /// Corner heading (e.g. "参保地 ＼ 就医地").
    pub corner: &'a str,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<u64>>,
}

/// Shade steps of the heat map (0 = no value).
pub const HEAT_STEPS: u64 = 8;

/// The shade step of `value` against `max`: 0 for 0, else 1..=[`HEAT_STEPS`] (the max is the top).
pub fn heat_step(value: u64, max: u64) -> u64 {
    if value == 0 || max == 0 {
        return 0;
    }
    (value * HEAT_STEPS).div_ceil(max).clamp(1, HEAT_STEPS)
}

/// The heat-map table, or the empty state.
pub fn heat_map(h: &HeatMap<'_>) -> String {
    let max = h.cells.iter().flatten().copied().max().unwrap_or(0);
    if max == 0 || h.rows.is_empty() || h.columns.is_empty() {
        return empty(h.id, h.title, h.lang);
    }
    let mut out = format!(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"{id}-caption\">\
         <table class=\"heat\" id=\"{id}\"><caption id=\"{id}-caption\">{}</caption><thead><tr><th scope=\"col\">{}</th>",
        escape(h.title),
        escape(h.corner),
        id = escape(h.id)
    );
    for c in &h.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c));
    }
    out.push_str("</tr></thead><tbody>");
    for (r, row) in h.rows.iter().enumerate() {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(row));
        for c in 0..h.columns.len() {
            let v = h.cells.get(r).and_then(|cells| cells.get(c)).copied().unwrap_or(0);
            let step = heat_step(v, max);
            // Lightness from 96 % (step 1) down to 32 % (the maximum); white text only on the two
            // darkest steps, so both inks keep a contrast of at least 4.5:1.
            let (bg, ink) = match step {
                0 => ("transparent".to_string(), "#4a5560"),
                s => {
                    let light = 96 - (s - 1) * 64 / (HEAT_STEPS - 1);
                    (format!("hsl(210,70%,{light}%)"), if light < 45 { "#ffffff" } else { "#1b1f23" })
                }
            };
            let text = if v == 0 { "–".to_string() } else { h.unit.format(v) };
            let _ = write!(
                out,
                "<td class=\"num heat-{step}\" style=\"background:{bg};color:{ink}\" data-value=\"{v}\">{}</td>",
                escape(&text)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(tag: &str, name: &str) -> f64 {
        let start =
            tag.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("{name} in {tag}")) + name.len() + 3;
        let end = tag[start..].find('"').unwrap() + start;
        tag[start..end].parse().unwrap()
    }

    fn tags<'a>(svg: &'a str, open: &str) -> Vec<&'a str> {
        svg.match_indices(open).map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()]).collect()
    }

    fn chart(values: Vec<u64>) -> String {
        bar_chart(&BarChart {
            id: "c",
            title: "每日结算",
            lang: Lang::Zh,
            unit: Unit::Count,
            categories: (0..values.len()).map(|i| format!("d{i}")).collect(),
            series: vec![Series { name: "门诊".into(), values }],
            palette: &PALETTE,
        })
    }

    #[test]
    fn the_tallest_bar_is_the_maximum_against_a_nice_axis() {
        let svg = chart(vec![3, 100, 40, 0]);
        let bars = tags(&svg, "<rect class=\"bar\"");
        assert_eq!(bars.len(), 3, "a zero value draws no bar");
        let heights: Vec<f64> = bars.iter().map(|b| attr(b, "height")).collect();
        assert_eq!(heights[1], PLOT_HEIGHT_PX, "100 on a 0–100 axis fills the plot");
        assert_eq!(heights[2], (PLOT_HEIGHT_PX * 0.4 * 10.0).round() / 10.0);
        // Every bar stands on the axis.
        for b in &bars {
            assert!((attr(b, "y") + attr(b, "height") - (PAD_TOP + PLOT_HEIGHT_PX)).abs() < 0.11, "{b}");
        }
        let svg = chart(vec![7, 3]);
        let tall = attr(tags(&svg, "<rect class=\"bar\"")[0], "height");
        assert_eq!(tall, (PLOT_HEIGHT_PX * 7.0 / 8.0 * 10.0).round() / 10.0, "7 on a 0–8 axis");
    }

    #[test]
    fn stacked_segments_add_up_to_the_total() {
        let svg = bar_chart(&BarChart {
            id: "s",
            title: "t",
            lang: Lang::Zh,
            unit: Unit::Count,
            categories: vec!["a".into()],
            series: vec![
                Series { name: "x".into(), values: vec![30] },
                Series { name: "y".into(), values: vec![50] },
                Series { name: "z".into(), values: vec![20] },
            ],
            palette: &PALETTE,
        });
        let bars = tags(&svg, "<rect class=\"bar\"");
        let total: f64 = bars.iter().map(|b| attr(b, "height")).sum();
        assert!((total - PLOT_HEIGHT_PX).abs() < 0.2, "{total}");
        assert!(svg.contains("class=\"legend\""));
    }

    #[test]
    fn nice_axis_maxima() {
        assert_eq!(nice_max(0), 0);
        assert_eq!(nice_max(1), 1);
        assert_eq!(nice_max(3), 4);
        assert_eq!(nice_max(7), 8);
        assert_eq!(nice_max(9), 10);
        assert_eq!(nice_max(100), 100);
        assert_eq!(nice_max(101), 200);
        assert_eq!(nice_max(450), 500);
        assert!(nice_max(u64::MAX / 2) >= u64::MAX / 2);
    }

    #[test]
    fn empty_data_renders_the_no_data_state() {
        assert!(chart(vec![]).contains("暂无数据"));
        assert!(chart(vec![0, 0]).contains("暂无数据"));
        assert!(!chart(vec![0, 0]).contains("<svg"));
        let hostile = bar_chart(&BarChart {
            id: "\"><script>",
            title: "<t>",
            lang: Lang::Zh,
            unit: Unit::Count,
            categories: vec![],
            series: vec![],
            palette: &PALETTE,
        });
        assert!(!hostile.contains("<script>") && !hostile.contains("<t>"), "{hostile}");
        let flow = FlowChart {
            id: "f",
            title: "t",
            lang: Lang::En,
            unit: Unit::Fen,
            from_label: "a",
            to_label: "b",
            edges: vec![FlowEdge { from: "x".into(), to: "y".into(), value: 0 }],
        };
        assert!(flow_chart(&flow).contains("No data"));
        let heat = HeatMap {
            id: "h",
            title: "t",
            lang: Lang::Zh,
            unit: Unit::Count,
            corner: "",
            rows: vec![],
            columns: vec![],
            cells: vec![],
        };
        assert!(heat_map(&heat).contains("暂无数据"));
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let svg = bar_chart(&BarChart {
            id: "x\"y",
            title: "<script>",
            lang: Lang::Zh,
            unit: Unit::Count,
            categories: vec!["<b>".into()],
            series: vec![Series { name: "&".into(), values: vec![1] }],
            palette: &PALETTE,
        });
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;") && svg.contains("&amp;") && svg.contains("x&quot;y"));
        let flow = flow_chart(&FlowChart {
            id: "f",
            title: "t",
            lang: Lang::Zh,
            unit: Unit::Count,
            from_label: "<a>",
            to_label: "b",
            edges: vec![FlowEdge { from: "<o>".into(), to: "d".into(), value: 1 }],
        });
        assert!(!flow.contains("<o>") && !flow.contains("<a>"));
    }

    #[test]
    fn flow_bands_are_proportional_and_accessible() {
        let svg = flow_chart(&FlowChart {
            id: "f",
            title: "省际流向",
            lang: Lang::Zh,
            unit: Unit::Fen,
            from_label: "参保地",
            to_label: "就医地",
            edges: vec![
                FlowEdge { from: "江苏".into(), to: "上海".into(), value: 1000 },
                FlowEdge { from: "江苏".into(), to: "北京".into(), value: 250 },
                FlowEdge { from: "安徽".into(), to: "上海".into(), value: 0 },
            ],
        });
        let bands = tags(&svg, "<path class=\"band\"");
        assert_eq!(bands.len(), 2, "zero flows draw nothing");
        assert_eq!(attr(bands[0], "stroke-width"), FLOW_BAND_MAX_PX);
        assert_eq!(attr(bands[1], "stroke-width"), FLOW_BAND_MAX_PX / 4.0);
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"f-title\">省际流向</title>"));
        assert!(svg.contains("江苏 → 上海：10.00"));
        assert!(!svg.contains("安徽"), "a node with only zero flows is not drawn");
    }

    #[test]
    fn heat_steps_grow_with_the_value() {
        assert_eq!(heat_step(0, 10), 0);
        assert_eq!(heat_step(1, 1000), 1);
        assert_eq!(heat_step(1000, 1000), HEAT_STEPS);
        assert!(heat_step(500, 1000) < heat_step(900, 1000));
        let html = heat_map(&HeatMap {
            id: "h",
            title: "OD",
            lang: Lang::Zh,
            unit: Unit::Count,
            corner: "参保地＼就医地",
            rows: vec!["南京".into(), "北京".into()],
            columns: vec!["上海".into()],
            cells: vec![vec![8], vec![0]],
        });
        assert!(html.contains(&format!("heat-{HEAT_STEPS}\"")) && html.contains("heat-0"));
        assert!(html.contains("<caption id=\"h-caption\">OD</caption>"));
    }

    #[test]
    fn drawing_is_deterministic_and_units_format_exactly() {
        assert_eq!(chart(vec![5, 9, 2]), chart(vec![5, 9, 2]));
        assert_eq!(Unit::Fen.format(123_456_789), "1,234,567.89");
        assert_eq!(Unit::Fen.format(5), "0.05");
        assert_eq!(Unit::Count.format(1000), "1,000");
        assert_eq!(Unit::Count.format(999), "999");
        assert_eq!(Unit::Bp.format(7_345), "73.45%");
    }
}
