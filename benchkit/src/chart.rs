//! Grouped bar charts as SVG text, drawn with `plotters`: one group per strategy (or library),
//! one bar per series (e.g. per concurrency), so the report shows the figures at a glance.

use plotters::prelude::*;

/// One group of bars, e.g. a strategy with one value per concurrency.
#[derive(Clone, Debug)]
pub struct Group {
    pub label: String,
    /// One value per series, in the order of the chart's series; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 480;
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x4c, 0x72, 0xb0),
    RGBColor(0xdd, 0x84, 0x52),
    RGBColor(0x55, 0xa8, 0x68),
    RGBColor(0xc4, 0x4e, 0x52),
    RGBColor(0x81, 0x72, 0xb3),
    RGBColor(0x93, 0x78, 0x60),
];

/// An SVG document: `title` on top, `y_label` on the vertical axis, a legend of `series`.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    series: &[String],
    groups: &[Group],
) -> Result<String, String> {
    let mut svg = String::new();
    draw(&mut svg, title, y_label, series, groups).map_err(|e| e.to_string())?;
    Ok(svg)
}

fn draw(
    svg: &mut String,
    title: &str,
    y_label: &str,
    series: &[String],
    groups: &[Group],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = groups
        .iter()
        .flat_map(|g| g.values.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let count = groups.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..count, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_label)
        .draw()?;

    let slots = series.len().max(1) as f64 + 1.0;
    for (s, name) in series.iter().enumerate() {
        let color = PALETTE[s % PALETTE.len()];
        let bars = groups.iter().enumerate().filter_map(move |(g, group)| {
            let value = (*group.values.get(s)?)?;
            let left = g as f64 + (s as f64 + 0.5) / slots;
            Some(Rectangle::new(
                [(left, 0.0), (left + 1.0 / slots, value)],
                color.filled(),
            ))
        });
        chart
            .draw_series(bars)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;

    // Group names under the axis, centred on their bars (plotters' own labels fall on round
    // numbers, not on groups).
    let style = TextStyle::from(("sans-serif", 13)).color(&BLACK).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ),
    );
    for (g, group) in groups.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
        root.draw(&Text::new(group.label.clone(), (x, y + 8), style.clone()))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<Group> {
        vec![
            Group {
                label: "no-lock".into(),
                values: vec![Some(900.0), Some(1800.0)],
            },
            Group {
                label: "redis".into(),
                values: vec![Some(400.0), None],
            },
        ]
    }

    #[test]
    fn the_chart_is_an_svg_with_every_label_and_one_bar_per_value() {
        let series = vec!["1 client".to_string(), "16 clients".to_string()];
        let svg = grouped_bars("Hot event", "bookings/s", &series, &groups()).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for text in [
            "Hot event",
            "bookings/s",
            "1 client",
            "16 clients",
            "no-lock",
            "redis",
        ] {
            assert!(svg.contains(text), "{text} is missing");
        }
        // Three bars (the missing value leaves a gap) in the series colours, plus two legend keys.
        let blue = svg.matches("fill=\"#4C72B0\"").count();
        let orange = svg.matches("fill=\"#DD8452\"").count();
        assert_eq!((blue, orange), (3, 2), "{svg}");
    }

    #[test]
    fn an_empty_chart_still_draws() {
        let svg = grouped_bars("Nothing", "x", &[], &[]).unwrap();
        assert!(svg.contains("Nothing"));
    }
}
