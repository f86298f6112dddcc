//! What the figure-drawing examples share (`model_plots` here, `sim_plots` in spn-sim): the result
//! type and the legend-and-write step.

use std::error::Error;
use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;

/// Result of drawing one figure.
pub(crate) type Res = Result<(), Box<dyn Error>>;

/// The output directory: the first argument, default `docs/plots`, created if missing.
pub(crate) fn out_dir() -> Result<PathBuf, Box<dyn Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "docs/plots".into()),
    );
    std::fs::create_dir_all(&out)?;
    Ok(out)
}

/// Draws the legend in a white box at `position` and writes the file.
pub(crate) fn finish<'a, CT: CoordTranslate>(
    root: &DrawingArea<SVGBackend<'a>, Shift>,
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> Res {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
