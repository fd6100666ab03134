//! End-to-end tests of the `dissem` binary: exit codes, determinism across thread counts, sweeps with resume,
//! shards and merge, plots, and `dissem reproduce` against the committed reports/.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const RING: &str =
    r#"{"name": "ring", "topology": {"kind": "ring", "nodes": 60}, "model": {"kind": "flooding"}, "replicates": 4}"#;
const SWEEP: &str = r#"{"scenario": "ring.json", "replicates": 6, "seed": 3,
    "parameters": {"topology.nodes": {"geom": [10, 1000, 10]}, "model.p_flood": [0.6, 0.9, 1]}}"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the dissem crate is in the workspace").to_owned()
}

fn dissem(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dissem")).args(args).current_dir(dir).output().expect("dissem runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = dissem(dir, args);
    assert!(out.status.success(), "dissem {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Exit code and stderr of a failing command.
fn fails(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = dissem(dir, args);
    assert!(!out.status.success(), "dissem {args:?} should fail");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A temp dir holding ring.json and sweep.json.
fn setup() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("ring.json"), RING).unwrap();
    fs::write(dir.path().join("sweep.json"), SWEEP).unwrap();
    dir
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

fn assert_same_dir(a: &Path, b: &Path) {
    for f in ["sweep.json", "runs.jsonl", "summary.csv"] {
        assert!(read(a.join(f)) == read(b.join(f)), "{f} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn run_validate_and_exit_codes() {
    let d = setup();
    let table = ok(d.path(), &["run", "ring.json"]);
    assert!(table.contains("2|E| - (N - 1) = 61"), "{table}");
    assert!(ok(d.path(), &["validate", "ring.json"]).contains("ok"));
    let (code, err) = fails(d.path(), &["run", "ring.json", "--set", "model.p_flood=2"]);
    assert_eq!(code, 2);
    assert!(err.contains("model.p_flood") && err.contains("ring.json"), "{err}");
    let (code, _) = fails(d.path(), &["run", "missing.json"]);
    assert_eq!(code, 2);
    let (code, _) = fails(d.path(), &["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn json_output_is_identical_across_thread_counts() {
    let d = setup();
    let args = ["run", "ring.json", "--json", "--set", "model.p_flood=0.8", "--replicates", "16"];
    let one = ok(d.path(), &[&["--threads", "1"], &args[..]].concat());
    let two = ok(d.path(), &[&["--threads", "2"], &args[..]].concat());
    assert_eq!(one, two);
    assert_eq!(one, ok(d.path(), &args), "a second run gives the same bytes");
}

#[test]
fn sweep_bytes_do_not_depend_on_threads() {
    let d = setup();
    ok(d.path(), &["--threads", "1", "sweep", "sweep.json", "--out", "one"]);
    ok(d.path(), &["--threads", "2", "sweep", "sweep.json", "--out", "two"]);
    assert_same_dir(&d.path().join("one"), &d.path().join("two"));
    let rows = String::from_utf8(read(d.path().join("one/runs.jsonl"))).unwrap();
    assert_eq!(rows.lines().count(), 3 * 3 * 6);
    let summary = String::from_utf8(read(d.path().join("one/summary.csv"))).unwrap();
    assert!(summary.starts_with("point,topology.nodes,model.p_flood,coverage_mean,"), "{summary}");
    assert_eq!(summary.lines().count(), 1 + 9);
}

#[test]
fn killed_sweep_resumes_to_the_same_bytes() {
    let d = setup();
    ok(d.path(), &["sweep", "sweep.json", "--out", "whole"]);
    // A kill leaves whole rows, possibly one cut row, and no summary.
    fs::create_dir(d.path().join("cut")).unwrap();
    fs::copy(d.path().join("whole/sweep.json"), d.path().join("cut/sweep.json")).unwrap();
    let rows = read(d.path().join("whole/runs.jsonl"));
    fs::write(d.path().join("cut/runs.jsonl"), &rows[..rows.len() * 2 / 3]).unwrap();
    let (code, err) = fails(d.path(), &["sweep", "sweep.json", "--out", "cut"]);
    assert!(code == 2 && err.contains("--resume"), "{err}");
    ok(d.path(), &["sweep", "sweep.json", "--out", "cut", "--resume"]);
    assert_same_dir(&d.path().join("whole"), &d.path().join("cut"));
    // Resuming a finished sweep changes nothing; resuming with another sweep is refused.
    ok(d.path(), &["sweep", "sweep.json", "--out", "cut", "--resume"]);
    assert_same_dir(&d.path().join("whole"), &d.path().join("cut"));
    fs::write(d.path().join("other.json"), SWEEP.replace("\"seed\": 3", "\"seed\": 4")).unwrap();
    let (code, err) = fails(d.path(), &["sweep", "other.json", "--out", "cut", "--resume"]);
    assert!(code == 2 && err.contains("not sweep"), "{err}");
}

#[test]
fn merged_shards_equal_a_single_run() {
    let d = setup();
    ok(d.path(), &["sweep", "sweep.json", "--out", "whole"]);
    for i in 0..3 {
        ok(d.path(), &["sweep", "sweep.json", "--out", &format!("s{i}"), "--shard", &format!("{i}/3")]);
    }
    // A shard interrupted and resumed is still the same shard.
    let rows = read(d.path().join("s1/runs.jsonl"));
    fs::write(d.path().join("s1/runs.jsonl"), &rows[..rows.len() / 2 + 7]).unwrap();
    ok(d.path(), &["sweep", "sweep.json", "--out", "s1", "--shard", "1/3", "--resume"]);
    ok(d.path(), &["merge", "s2", "s0", "s1", "--out", "merged"]);
    assert_same_dir(&d.path().join("whole"), &d.path().join("merged"));
    let (code, err) = fails(d.path(), &["merge", "s0", "s1", "--out", "partial"]);
    assert!(code == 2 && err.contains("missing"), "{err}");
}

#[test]
fn bad_sweep_files_exit_2_naming_the_field() {
    let d = setup();
    let cases = [
        (r#"{"scenario": "ring.json", "parameters": {"model.p_flood": [0.5, 7]}}"#, "model.p_flood"),
        (
            r#"{"scenario": "ring.json", "parameters": {"topology.nodes": {"range": [10, 1, 2]}}}"#,
            "parameters.topology.nodes",
        ),
        (r#"{"scenario": "ring.json", "parameters": {"topology.nodes": [1, 20]}}"#, "topology.nodes"),
        (
            r#"{"scenario": "ring.json", "mode": "zip", "parameters": {"topology.nodes": [10, 20], "model.p_flood": [1]}}"#,
            "parameters.model.p_flood",
        ),
        (r#"{"scenario": "nope.json"}"#, "scenario"),
        (r#"{"scenario": "ring.json", "replicate": 3}"#, "replicate"),
    ];
    for (text, field) in cases {
        fs::write(d.path().join("bad.json"), text).unwrap();
        let (code, err) = fails(d.path(), &["sweep", "bad.json", "--out", "never"]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains("bad.json") && err.contains(field), "{text}: {err}");
        assert!(!d.path().join("never").exists(), "nothing is written for a bad sweep");
    }
    fs::write(
        d.path().join("big.json"),
        r#"{"scenario": "ring.json", "replicates": 60000, "parameters": {"model.p_flood": [0.5, 1]}}"#,
    )
    .unwrap();
    let (code, err) = fails(d.path(), &["sweep", "big.json", "--out", "never"]);
    assert!(code == 2 && err.contains("120000 runs") && err.contains("--force"), "{err}");
    let (code, err) = fails(d.path(), &["sweep", "sweep.json", "--out", "never", "--shard", "3/3"]);
    assert!(code == 2 && err.contains("--shard"), "{err}");
}

/// The part of a plot's SVG in layer `class` (`<g class="…">` up to its closing tag on a line of its own).
fn layer<'a>(svg: &'a str, class: &str) -> &'a str {
    let open = format!("<g class=\"{class}\">");
    let start = svg.find(&open).unwrap_or_else(|| panic!("no layer {class}")) + open.len();
    let end = svg[start..].find("\n</g>").expect("layer closed");
    &svg[start..start + end]
}

fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let at = element.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&element[at..at + element[at..].find('"')?])
}

/// x0, y0, x1, y1 of the first `<rect>` in `text`.
fn first_rect(text: &str) -> [f64; 4] {
    let r = &text[text.find("<rect").expect("a rect")..];
    let v = |n| attribute(r, n).and_then(|x| x.parse::<f64>().ok()).expect("numeric attribute");
    [v("x"), v("y"), v("x") + v("width"), v("y") + v("height")]
}

/// Labels of the texts in a layer (each text is a group of glyphs with its words as `aria-label`).
fn labels(text: &str) -> Vec<&str> {
    text.split("<g aria-label=\"").skip(1).map(|t| &t[..t.find('"').expect("closed label")]).collect()
}

/// Checks what a reader relies on in a rendered plot: at least two labelled ticks on each axis, a legend
/// clear of the plot area, every data mark inside the plot area (so none is under the legend), and text
/// drawn with the embedded font's glyphs (no system font).
fn check_plot(name: &str, svg: &str) {
    for axis in ["x-ticks", "y-ticks"] {
        let ticks = labels(layer(svg, axis));
        assert!(ticks.len() >= 2 && ticks.iter().all(|t| !t.trim().is_empty()), "{name}: {axis} {ticks:?}");
    }
    let [x0, y0, x1, y1] = first_rect(layer(svg, "plot-area"));
    if svg.contains("<g class=\"legend\">") {
        let [a0, b0, a1, b1] = first_rect(layer(svg, "legend"));
        assert!(a0 >= x1 || a1 <= x0 || b0 >= y1 || b1 <= y0, "{name}: the legend lies over the plot area");
    }
    let data = layer(svg, "data");
    let mut coordinates = Vec::new();
    for element in data.lines() {
        if let Some(points) = attribute(element, "points") {
            coordinates.extend(points.split(' ').map(|p| p.split_once(',').expect("x,y")));
        }
        for (x, y) in [("cx", "cy"), ("x", "y")] {
            if let (Some(x), Some(y)) = (attribute(element, x), attribute(element, y)) {
                coordinates.push((x, y));
            }
        }
    }
    assert!(!coordinates.is_empty(), "{name}: no data drawn");
    for (x, y) in coordinates {
        let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
        assert!(
            x >= x0 - 1.0 && x <= x1 + 1.0 && y >= y0 - 1.0 && y <= y1 + 1.0,
            "{name}: data at ({x}, {y}) outside the plot area"
        );
    }
    assert!(!svg.contains("<text") && !svg.contains("font-family"), "{name}: text must not depend on installed fonts");
    for used in svg.split("xlink:href=\"#").skip(1).map(|u| &u[..u.find('"').unwrap()]) {
        assert!(svg.contains(&format!("<path id=\"{used}\"")), "{name}: glyph {used} is not embedded");
    }
}

/// Stroke colours of the measured lines (solid, 3 pixels wide) of the data layer, each once.
fn measured_colours(svg: &str) -> Vec<String> {
    let mut colours: Vec<String> = Vec::new();
    for element in layer(svg, "data").lines().filter(|e| e.starts_with("<polyline")) {
        let solid = attribute(element, "stroke-dasharray").is_none() && attribute(element, "stroke-width") == Some("3");
        let colour = attribute(element, "stroke").expect("stroke").to_owned();
        if solid && !colours.contains(&colour) {
            colours.push(colour);
        }
    }
    colours
}

#[test]
fn plots_of_runs_and_sweeps() {
    let d = setup();
    ok(d.path(), &["sweep", "sweep.json", "--out", "sw"]);
    let written = ok(d.path(), &["plot", "sw", "--y", "messages"]);
    assert!(written.contains("messages_vs_nodes_by_p_flood.svg"), "{written}");
    // Another grouping of the same metric goes to another file.
    let regrouped =
        ok(d.path(), &["plot", "sw", "--y", "messages", "--x", "model.p_flood", "--group", "topology.nodes"]);
    assert!(regrouped.contains("messages_vs_p_flood_by_nodes.svg"), "{regrouped}");
    for f in ["messages_vs_nodes_by_p_flood", "messages_vs_p_flood_by_nodes"] {
        check_plot(f, &String::from_utf8(read(d.path().join(format!("sw/plots/{f}.svg")))).unwrap());
    }
    ok(d.path(), &["plot", "sw", "--cdf", "coverage", "--out", "cdf"]);
    assert_eq!(&read(d.path().join("cdf.png"))[1..4], b"PNG");
    check_plot("cdf", &String::from_utf8(read(d.path().join("cdf.svg"))).unwrap());
    ok(d.path(), &["run", "ring.json", "--set", "model.p_flood=0.9", "--replicates", "20", "--out", "run"]);
    ok(d.path(), &["plot", "run", "--hist", "coverage", "--out", "hist"]);
    check_plot("hist", &String::from_utf8(read(d.path().join("hist.svg"))).unwrap());
    let (code, err) = fails(d.path(), &["plot", "sw", "--y", "nonsense"]);
    assert!(code == 2 && err.contains("nonsense"), "{err}");
}

/// Twelve groups: twelve colours, and a legend that covers none of them.
#[test]
fn many_groups_keep_their_own_colours_and_a_clear_legend() {
    let d = setup();
    let many = r#"{"scenario": "ring.json", "replicates": 2, "seed": 3,
        "parameters": {"topology.nodes": [20, 40, 80], "model.p_flood": {"linspace": [0.45, 1, 12]}}}"#;
    fs::write(d.path().join("many.json"), many).unwrap();
    ok(d.path(), &["sweep", "many.json", "--out", "many"]);
    ok(
        d.path(),
        &["plot", "many", "--y", "coverage", "--x", "topology.nodes", "--group", "model.p_flood", "--out", "p"],
    );
    let svg = String::from_utf8(read(d.path().join("p.svg"))).unwrap();
    check_plot("p", &svg);
    assert_eq!(measured_colours(&svg).len(), 12, "{:?}", measured_colours(&svg));
}

/// ALM reports its stretch as a quantile function: drawn as a CDF over stretch, not against rounds.
#[test]
fn quantile_series_are_drawn_as_distributions() {
    let d = setup();
    let scenario = workspace().join("scenarios/alm/lecture-costs.json");
    ok(d.path(), &["run", scenario.to_str().unwrap(), "--out", "alm"]);
    let written = ok(d.path(), &["plot", "alm"]);
    assert!(written.contains("quantiles.svg"), "{written}");
    let svg = String::from_utf8(read(d.path().join("alm/plots/quantiles.svg"))).unwrap();
    check_plot("quantiles", &svg);
    let axes = labels(layer(&svg, "labels"));
    assert!(axes.contains(&"stretch") && axes.contains(&"fraction ≤ x") && !axes.contains(&"round"), "{axes:?}");
}

/// Every plot `dissem reproduce` ships (the committed reports/, which `committed_reports_match_reproduce` ties
/// to the code) has labelled ticks on both axes and its legend beside the data.
#[test]
fn every_shipped_plot_is_readable() {
    let reports = workspace().join("reports");
    let plots: Vec<PathBuf> =
        files_under(&reports).into_iter().filter(|f| f.extension().is_some_and(|e| e == "svg")).collect();
    assert!(plots.len() >= 20, "{} plots", plots.len());
    for f in plots {
        let svg = String::from_utf8(read(reports.join(&f))).unwrap();
        check_plot(&f.display().to_string(), &svg);
        assert_eq!(&read(reports.join(f.with_extension("png")))[1..4], b"PNG", "{} has its PNG", f.display());
    }
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() { stack.push(p) } else { out.push(p.strip_prefix(dir).unwrap().to_owned()) }
        }
    }
    out.sort();
    out
}

/// The committed reports/ is exactly what `dissem reproduce` writes: the same files, no more and no fewer
/// (a removed item's stale page fails this), and the same bytes.
#[test]
fn committed_reports_match_reproduce() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    ok(&workspace(), &["reproduce", "--out", out.to_str().unwrap()]);
    let committed = workspace().join("reports");
    let generated = files_under(&out);
    assert_eq!(files_under(&committed), generated, "run `dissem reproduce` and commit reports/ as it is");
    for f in &generated {
        assert!(
            read(out.join(f)) == read(committed.join(f)),
            "reports/{} differs from what `dissem reproduce` writes; run it and commit the result",
            f.display()
        );
    }
}

/// reproduce owns its output folder: it removes what it did not write there, and refuses a folder it did
/// not write.
#[test]
fn reproduce_owns_its_folder() {
    let d = setup();
    fs::create_dir(d.path().join("notes")).unwrap();
    fs::write(d.path().join("notes/mine.txt"), "keep").unwrap();
    let items = workspace().join("sweeps/reproduce");
    let args = |out: &str| {
        ["reproduce", "alm-lecture-example", "--out", out, "--items", items.to_str().unwrap()].map(str::to_owned)
    };
    let (code, err) = fails(d.path(), &args("notes").each_ref().map(String::as_str));
    assert!(code == 2 && err.contains("did not write"), "{err}");
    assert_eq!(fs::read_to_string(d.path().join("notes/mine.txt")).unwrap(), "keep");
    ok(d.path(), &args("rep").each_ref().map(String::as_str));
    fs::write(d.path().join("rep/alm-lecture-example/stale.svg"), "old").unwrap();
    fs::create_dir_all(d.path().join("rep/removed-item")).unwrap();
    fs::write(d.path().join("rep/removed-item/README.md"), "old").unwrap();
    ok(d.path(), &args("rep").each_ref().map(String::as_str));
    assert!(!d.path().join("rep/alm-lecture-example/stale.svg").exists(), "a stale file in the item is removed");
    assert!(d.path().join("rep/removed-item/README.md").exists(), "one item redone leaves the others alone");
}
