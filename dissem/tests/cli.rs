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

#[test]
fn metrics_documents_every_model_and_refuses_unknown_ones() {
    let d = setup();
    let all = ok(d.path(), &["metrics"]);
    assert!(all.contains("\nflooding: ") || all.starts_with("flooding: "), "{all}");
    assert!(all.contains("\nalm: ") && all.contains("{group}.link_stress.{link}"), "{all}");
    assert!(ok(d.path(), &["metrics", "rumor"]).starts_with("rumor: "));
    let sweep: serde_json::Value = serde_json::from_str(&ok(d.path(), &["schema", "--sweep"])).unwrap();
    assert_eq!(sweep["properties"]["scenario"]["type"], "string");
    let (code, err) = fails(d.path(), &["metrics", "flood"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown kind \"flood\"") && err.contains("\"flooding\""), "{err}");
}

/// What loading merged goes to standard error as notes (from `run` and `validate`), beside the warning about a CI from few runs; the
/// table on standard output is the table alone.
#[test]
fn notes_and_warnings_go_to_standard_error() {
    let d = setup();
    let scenario = r#"{"replicates": 3, "topology": {"kind": "edges", "edges": ["a b", "b c", "c a", "a b"]},
                       "model": {"kind": "flooding"}}"#;
    write(d.path(), "dup.json", scenario);
    let out = dissem(d.path(), &["run", "dup.json"]);
    let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert!(out.status.success() && !stdout.contains("note:") && stdout.contains("coverage"), "{stdout}");
    assert!(stderr.contains("note: merged 1 parallel link(s)"), "{stderr}");
    assert!(stderr.contains("warning: 95% intervals from 3 replicates"), "{stderr}");
    let five = dissem(d.path(), &["run", "dup.json", "--replicates", "5"]);
    assert!(!String::from_utf8(five.stderr).unwrap().contains("warning"));
    // `validate` reads the same topology, so it says the same.
    let checked = dissem(d.path(), &["validate", "dup.json"]);
    assert!(String::from_utf8(checked.stderr).unwrap().contains("note: merged 1 parallel link(s)"));
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
    assert!(table.contains("2|E_c| - (|V_c| - 1) = 61"), "{table}");
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
    assert_eq!(one, ok(d.path(), &[&["-j2"], &args[..]].concat()), "provenance leaves -j out too");
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
    assert!(summary.starts_with("point,seed,topology.nodes,model.p_flood,coverage_mean,"), "{summary}");
    assert_eq!(summary.lines().count(), 1 + 9);
}

/// Any row of a sweep re-runs alone from what the outputs record: the point's values, its seed and
/// `--replicate r` give the same metrics; the JSON says which version and command produced it.
#[test]
fn a_sweep_row_reruns_alone_from_its_provenance() {
    let d = setup();
    ok(d.path(), &["--threads", "1", "sweep", "sweep.json", "--out", "s"]);
    let rows = String::from_utf8(read(d.path().join("s/runs.jsonl"))).unwrap();
    let row: serde_json::Value = serde_json::from_str(rows.lines().nth(17).unwrap()).unwrap();
    let meta: serde_json::Value = serde_json::from_slice(&read(d.path().join("s/sweep.json"))).unwrap();
    assert_eq!(meta["dissem"], env!("CARGO_PKG_VERSION"));
    let summary = String::from_utf8(read(d.path().join("s/summary.csv"))).unwrap();
    let point = row["point"].as_u64().unwrap() as usize;
    let seed_cell = summary.lines().nth(1 + point).unwrap().split(',').nth(1).unwrap().to_owned();
    assert_eq!(seed_cell, row["seed"].to_string());
    let mut args: Vec<String> = vec!["run".into(), "ring.json".into(), "--json".into()];
    for (path, value) in row["parameters"].as_object().unwrap() {
        args.extend(["--set".into(), format!("{path}={value}")]);
    }
    args.extend(["--seed".into(), row["seed"].to_string(), "--replicates".into(), "6".into()]);
    args.extend(["--replicate".into(), row["replicate"].to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let doc: serde_json::Value = serde_json::from_str(&ok(d.path(), &argv)).unwrap();
    assert_eq!(doc["first_replicate"], row["replicate"]);
    for (name, value) in row["metrics"].as_object().unwrap() {
        assert_eq!(&doc["metrics"][name]["mean"], value, "{name}");
    }
    let provenance = &doc["provenance"];
    assert_eq!(provenance["dissem"], env!("CARGO_PKG_VERSION"));
    assert!(provenance["command"].as_str().unwrap().starts_with("dissem run ring.json --json --set "), "{provenance}");
    assert_eq!(provenance["scenario"]["seed"], row["seed"]);
    let (code, err) = fails(d.path(), &["run", "ring.json", "--replicate", "4"]);
    assert_eq!(code, 2);
    assert!(err.contains("--replicate 4") && err.contains("0 to 3"), "{err}");
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

// Malformed inputs, resources and concurrency (issue 9): each case exits 2 with one message naming the file and
// the field, writes nothing and ends quickly.

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

/// The names in `dir` (none if it does not exist), sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|es| es.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// `dissem ARGS` fails with exit 2 and a message containing every one of `words`.
fn refused(dir: &Path, args: &[&str], words: &[&str]) -> String {
    let (code, err) = fails(dir, args);
    assert_eq!(code, 2, "dissem {args:?}: {err}");
    for w in words {
        assert!(err.contains(w), "dissem {args:?}: `{w}` missing from: {err}");
    }
    assert_eq!(err.lines().count(), 1, "one message: {err}");
    err
}

/// Cases of the adversarial corpus run against this binary (issue 9's standard) that failed it: each names the
/// file, the field and what is allowed, before any topology is built or memory estimated from the bad value.
#[test]
fn malformed_values_are_named_where_they_are() {
    let d = setup();
    let shipped = |name: &str| fs::read_to_string(workspace().join("scenarios").join(name)).unwrap();
    let swap = |text: &str, from: &str, to: &str| {
        assert!(text.contains(from), "`{from}` is in the file");
        text.replacen(from, to, 1)
    };
    let (alm, scribe) = (shipped("alm/events-churn-returns.json"), shipped("alm/scribe-scale-proximity.json"));
    let chord = shipped("chord/proximity-transit-stub.json");
    for (text, words) in [
        // A syntax error names the value it broke off in.
        (swap(RING, "60", "1e400"), vec!["field `topology.nodes`", "number out of range"]),
        (RING[..RING.find(r#"ring", "nodes"#).unwrap() + 2].to_owned(), vec!["field `topology.kind`", "EOF"]),
        // An object for a one-key choice lists the keys allowed.
        (
            swap(&alm, r#""members": {"fraction": 0.33}"#, r#""members": {"fraction": 0.33, "count": 40}"#),
            vec![
                "field `model.groups[1].members`",
                "one of `all`, `count`, `fraction`, `list`",
                "keys: `fraction`, `count`",
            ],
        ),
        // Ranges of the model's own parameters come before the memory estimate they would blow up ...
        (
            swap(&alm, r#""multicasts": 6"#, r#""multicasts": 2147483648"#),
            vec!["field `model.timing.churn.multicasts`", "from 1 to 10000"],
        ),
        (swap(&chord, r#""lookups": 10000"#, r#""lookups": 2147483648"#), vec!["field `model.lookups`", "10000000"]),
        // ... and before the topology is built (here 100,000 hosts on 5,020 routers).
        (swap(&scribe, r#""bits": 64"#, r#""bits": 65"#), vec!["field `model.overlay.bits`", "1..=64"]),
    ] {
        write(d.path(), "bad.json", &text);
        refused(d.path(), &["validate", "bad.json"], &[&["bad.json: "][..], &words].concat());
    }
    #[cfg(unix)]
    {
        write(
            d.path(),
            "dev.json",
            r#"{"topology": {"kind": "edge_list", "path": "/dev/zero"}, "model": {"kind": "flooding"}}"#,
        );
        refused(
            d.path(),
            &["run", "dev.json", "--out", "never"],
            &["dev.json: field `topology.path`", "/dev/zero: a device"],
        );
        assert!(!d.path().join("never").exists());
    }
    // A lecture item whose sweep is missing is named before any item runs.
    fs::create_dir(d.path().join("items")).unwrap();
    let item = r#"{"title": "t", "source": "s", "text": "x", "sweep": "gone.json", "table": [{"metric": "messages"}]}"#;
    write(&d.path().join("items"), "lost.json", item);
    refused(
        d.path(),
        &["reproduce", "--items", "items", "--out", "never"],
        &["lost.json: field `sweep`: items/gone.json: cannot read"],
    );
    assert!(!d.path().join("never").exists());
    // A directory without items is a wrong --items, not a reproduction of nothing.
    fs::create_dir(d.path().join("empty")).unwrap();
    refused(d.path(), &["reproduce", "--items", "empty", "--out", "never"], &["empty: no item files (*.json)"]);
    assert!(!d.path().join("never").exists());
}

#[test]
fn sweep_ranges_do_not_overflow() {
    let d = setup();
    for range in ["[0, -9223372036854775808, -1]", "[-9223372036854775808, 9223372036854775807, 1]"] {
        let text = format!(r#"{{"scenario": "ring.json", "parameters": {{"topology.nodes": {{"range": {range}}}}}}}"#);
        write(d.path(), "bad.json", &text);
        refused(
            d.path(),
            &["sweep", "bad.json", "--out", "never"],
            &["bad.json", "parameters.topology.nodes", "more than 1000000"],
        );
        assert!(!d.path().join("never").exists());
    }
}

#[test]
fn the_memory_guard_does_not_wrap() {
    let d = setup();
    let stub = r#"{"topology": {"kind": "transit_stub", "transit_domains": 1, "transit_per_domain": 1,
        "stubs_per_transit": 1, "stub_size": 536870911, "edge_probability": 1.1920928998793157e-07, "hosts": 0},
        "model": {"kind": "flooding"}}"#;
    write(d.path(), "stub.json", stub);
    refused(d.path(), &["validate", "stub.json"], &["stub.json", "`topology`", "memory"]);
    let grid =
        r#"{"topology": {"kind": "grid", "rows": 4294967295, "cols": 4294967295}, "model": {"kind": "flooding"}}"#;
    write(d.path(), "grid.json", grid);
    refused(d.path(), &["validate", "grid.json"], &["grid.json", "`topology`", "memory"]);
}

#[test]
fn replicates_are_bounded_and_big_sweeps_refused_before_expanding() {
    let d = setup();
    write(d.path(), "many.json", &RING.replace("\"replicates\": 4", "\"replicates\": 4294967295"));
    refused(d.path(), &["run", "many.json"], &["many.json", "`replicates`", "100000"]);
    refused(d.path(), &["run", "ring.json", "--replicates", "100001"], &["ring.json", "`replicates`", "100000"]);
    let json_safe = ["`seed`", "9007199254740991", "got 9007199254740992"];
    refused(d.path(), &["run", "ring.json", "--seed", "9007199254740992"], &json_safe);
    write(d.path(), "s.json", r#"{"scenario": "ring.json", "replicates": 4294967295}"#);
    refused(d.path(), &["sweep", "s.json", "--out", "never"], &["s.json", "`replicates`", "100000"]);
    // 10^6 points, all invalid (fractional node counts): refused by their number, before any point is
    // parsed (81b00c1 parsed points first and reported point 0's error; with valid points, ~20 s and GiBs).
    write(
        d.path(),
        "wide.json",
        r#"{"scenario": "ring.json", "replicates": 1,
        "parameters": {"topology.nodes": {"linspace": [10, 11, 1000000]}}}"#,
    );
    refused(d.path(), &["sweep", "wide.json", "--out", "never"], &["wide.json", "1000000 runs", "--force"]);
    assert!(!d.path().join("never").exists());
    let schema: serde_json::Value = serde_json::from_str(&ok(d.path(), &["schema"])).unwrap();
    assert_eq!(schema["properties"]["replicates"]["maximum"], 100_000, "{}", schema["properties"]["replicates"]);
}

/// The lecture's ALM example with `expect` entries changed: `check` must fail what it cannot confirm.
#[test]
fn check_fails_on_anything_missing_or_not_finite() {
    let d = setup();
    let lecture = String::from_utf8(read(workspace().join("scenarios/alm/lecture-costs.json"))).unwrap();
    ok(d.path(), &["check", workspace().join("scenarios/alm/lecture-costs.json").to_str().unwrap()]);
    let misspelt = lecture.replace("\"metric\": \"from_a.tree_cost\"", "\"metric\": \"from_a.tree_kost\"");
    let infinite = lecture.replace("\"value\": 82,", "\"value\": \"1/0\",");
    for (name, text) in [("misspelt.json", misspelt), ("infinite.json", infinite)] {
        write(d.path(), name, &text);
        let out = dissem(d.path(), &["check", name]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));
    }
    fs::create_dir(d.path().join("empty")).unwrap();
    refused(d.path(), &["check", "empty"], &["empty", "no scenario files"]);
}

#[test]
fn run_out_is_checked_before_the_run_and_nothing_is_left_on_failure() {
    let d = setup();
    fs::create_dir_all(d.path().join("out/metrics.csv")).unwrap();
    refused(d.path(), &["run", "ring.json", "--out", "out"], &["out/metrics.csv", "is a directory"]);
    assert_eq!(names_in(&d.path().join("out")), ["metrics.csv"], "nothing beside what was there");
    write(d.path(), "file", "");
    refused(d.path(), &["run", "ring.json", "--out", "file/sub"], &["file", "not a directory"]);
    ok(d.path(), &["run", "ring.json", "--out", "fresh/deep"]);
    assert_eq!(names_in(&d.path().join("fresh/deep")), ["metrics.csv", "result.json", "runs.csv"]);
    // merge writes three files: none when one of them cannot be written.
    ok(d.path(), &["sweep", "sweep.json", "--out", "sw"]);
    fs::create_dir_all(d.path().join("m/summary.csv")).unwrap();
    refused(d.path(), &["merge", "sw", "--out", "m"], &["summary.csv", "is a directory"]);
    assert_eq!(names_in(&d.path().join("m")), ["summary.csv"]);
}

#[test]
fn a_sweep_directory_is_locked_while_a_sweep_writes_it() {
    let d = setup();
    write(d.path(), "ring.json", &RING.replace("60", "100000"));
    write(
        d.path(),
        "slow.json",
        r#"{"scenario": "ring.json", "replicates": 500, "parameters": {"model.p_flood": [0.5, 1]}}"#,
    );
    let mut first = Command::new(env!("CARGO_BIN_EXE_dissem"))
        .args(["--threads", "1", "sweep", "slow.json", "--out", "sw"])
        .current_dir(d.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while !d.path().join("sw/runs.jsonl").exists() {
        assert!(first.try_wait().unwrap().is_none(), "the first sweep ended early");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    refused(
        d.path(),
        &["sweep", "slow.json", "--out", "sw", "--resume"],
        &["sw", "in use by another dissem", "dissem sweep"],
    );
    refused(d.path(), &["merge", "sw", "--out", "sw"], &["sw", "merge into a new directory"]);
    // A killed holder releases the lock: the directory can be resumed.
    first.kill().unwrap();
    first.wait().unwrap();
    let (code, err) = fails(d.path(), &["sweep", "slow.json", "--out", "sw", "--resume", "--shard", "0/2"]);
    assert!(code == 2 && err.contains("resume only with the same"), "{err}");
}

#[test]
fn edited_input_files_are_noticed_by_resume_and_merge() {
    let d = setup();
    write(d.path(), "g.txt", "a b\nb c\nc d\nd a\n");
    write(
        d.path(),
        "file.json",
        r#"{"topology": {"kind": "edge_list", "path": "g.txt"}, "model": {"kind": "flooding"}}"#,
    );
    write(
        d.path(),
        "s.json",
        r#"{"scenario": "file.json", "replicates": 2, "parameters": {"model.p_flood": [0.5, 1]}}"#,
    );
    ok(d.path(), &["sweep", "s.json", "--out", "s0", "--shard", "0/2"]);
    write(d.path(), "g.txt", "a b\nb c\nc d\nd a\na c\n");
    ok(d.path(), &["sweep", "s.json", "--out", "s1", "--shard", "1/2"]);
    refused(d.path(), &["merge", "s0", "s1", "--out", "all"], &["s1", "input file `g.txt` changed"]);
    assert!(!d.path().join("all").exists());
    refused(d.path(), &["sweep", "s.json", "--out", "s0", "--shard", "0/2", "--resume"], &["s0", "`g.txt` changed"]);
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    let d = setup();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_dissem"))
        .arg("schema")
        .current_dir(d.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(141), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn threads_are_bounded_by_the_machine() {
    let d = setup();
    let out = dissem(d.path(), &["--threads", "100000", "validate", "ring.json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cores"), "{}", String::from_utf8_lossy(&out.stderr));
    refused(d.path(), &["--threads", "0", "validate", "ring.json"], &["--threads", "at least 1"]);
}

#[test]
fn duplicate_keys_are_errors_naming_the_path() {
    let d = setup();
    write(
        d.path(),
        "dup.json",
        r#"{"topology": {"kind": "ring", "nodes": 10}, "topology": {"kind": "complete", "nodes": 10},
        "model": {"kind": "flooding"}}"#,
    );
    refused(d.path(), &["validate", "dup.json"], &["dup.json", "`topology`", "twice"]);
    write(
        d.path(),
        "dup2.json",
        r#"{"topology": {"kind": "ring", "nodes": 10}, "model": {"kind": "flooding", "p_flood": 1, "p_flood": 0.5}}"#,
    );
    refused(d.path(), &["validate", "dup2.json"], &["dup2.json", "`model.p_flood`", "twice"]);
    write(d.path(), "s.json", r#"{"scenario": "ring.json", "parameters": {"model.p_flood": [1]}, "parameters": {}}"#);
    refused(d.path(), &["sweep", "s.json", "--out", "never"], &["s.json", "`parameters`", "twice"]);
    fs::create_dir(d.path().join("items")).unwrap();
    write(d.path(), "items/x.json", r#"{"title": "a", "title": "b", "sweep": "../sweep.json"}"#);
    refused(d.path(), &["reproduce", "--items", "items", "--out", "rep"], &["x.json", "`title`", "twice"]);
    assert!(!d.path().join("rep").exists() && !d.path().join("never").exists());
}

#[test]
fn times_beyond_the_clock_are_refused() {
    let d = setup();
    let with = |latency: &str| {
        format!(
            r#"{{"topology": {{"kind": "ring", "nodes": 10}}, "network": {{"latency": {latency}}}, "model": {{"kind": "flooding"}}}}"#
        )
    };
    let cases = [
        (r#"{"kind": "constant", "value": 18446744073709551615}"#, "network.latency.value"),
        (r#"{"kind": "uniform", "min": 0, "max": 18446744073709551615}"#, "network.latency.max"),
        (r#"{"kind": "exponential", "mean": 1e300}"#, "network.latency.mean"),
    ];
    for (latency, field) in cases {
        write(d.path(), "t.json", &with(latency));
        refused(d.path(), &["run", "t.json"], &["t.json", field]);
    }
    // The largest latency allowed runs, and its completion time is exact.
    write(d.path(), "t.json", &with(r#"{"kind": "constant", "value": 4294967295}"#));
    let report = ok(d.path(), &["run", "t.json", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(doc["metrics"]["completion_time"]["mean"], 5.0 * 4294967295.0, "{report}");
}

#[test]
fn error_messages_are_bounded() {
    let d = setup();
    let huge = "x".repeat(50_000_000);
    write(d.path(), "kind.json", &format!(r#"{{"topology": {{"kind": "{huge}"}}, "model": {{"kind": "flooding"}}}}"#));
    let err = refused(d.path(), &["validate", "kind.json"], &["kind.json", "topology.kind"]);
    assert!(err.len() < 4000, "{} bytes", err.len());
    write(
        d.path(),
        "field.json",
        &format!(r#"{{"topology": {{"kind": "ring", "{huge}": 1}}, "model": {{"kind": "flooding"}}}}"#),
    );
    let err = refused(d.path(), &["validate", "field.json"], &["field.json", "unknown field"]);
    assert!(err.len() < 4000, "{} bytes", err.len());
    write(d.path(), "set.json", &format!(r#"{{"scenario": "ring.json", "set": {{"{huge}.x": 1}}}}"#));
    let err = refused(d.path(), &["sweep", "set.json", "--out", "never"], &["set.json"]);
    assert!(err.len() < 4000, "{} bytes", err.len());
}

#[test]
fn inline_edges_report_their_own_index() {
    let d = setup();
    write(
        d.path(),
        "e.json",
        r#"{"topology": {"kind": "edges", "edges": ["a b", "b c\nc d x y", "c d"]}, "model": {"kind": "flooding"}}"#,
    );
    refused(d.path(), &["validate", "e.json"], &["e.json", "`topology.edges[1]`"]);
}

/// A node may be named by its id in the topology file: on the path a - b - c - d - e, a flood from `c`
/// completes in 2 hops (its eccentricity), from index 0 (`a`) in 4; an id that names no node, or an id on
/// a generated topology, is refused naming the file and the field.
#[test]
fn nodes_by_their_ids_in_the_topology_file() {
    let d = setup();
    let scenario = |source: &str, topology: &str| {
        format!(r#"{{"topology": {topology}, "model": {{"kind": "flooding", "source": {source}}}}}"#)
    };
    let path = r#"{"kind": "edges", "edges": ["a b", "b c", "c d", "d e"]}"#;
    for (source, hops) in [(r#""c""#, 2.0), ("0", 4.0), (r#""e""#, 4.0)] {
        write(d.path(), "p.json", &scenario(source, path));
        let doc: serde_json::Value = serde_json::from_str(&ok(d.path(), &["run", "p.json", "--json"])).unwrap();
        assert_eq!(doc["metrics"]["completion_time"]["mean"], hops, "{source}");
    }
    write(d.path(), "missing.json", &scenario(r#""z""#, path));
    refused(d.path(), &["validate", "missing.json"], &["missing.json", "`model.source`", "`z`"]);
    write(d.path(), "ring.json", &scenario(r#""c""#, r#"{"kind": "ring", "nodes": 5}"#));
    refused(d.path(), &["run", "ring.json"], &["ring.json", "`model.source`", "have none"]);
    write(d.path(), "neg.json", &scenario("-1", path));
    refused(d.path(), &["validate", "neg.json"], &["neg.json", "model.source", "a node index"]);
}

/// A random replicate the model cannot use (here a disconnected graph for anti-entropy) is bad input for
/// `run` and `sweep` alike: exit 2, and a sweep that started its directory removes it.
#[test]
fn an_unusable_random_replicate_exits_2_in_run_and_sweep() {
    let d = setup();
    // Replicate 0 is connected; replicate 2 of the run and of the sweep's point (another seed) are not.
    write(
        d.path(),
        "er.json",
        r#"{"seed": 2, "replicates": 40, "topology": {"kind": "erdos_renyi", "nodes": 30, "p": 0.15},
        "model": {"kind": "anti_entropy"}}"#,
    );
    // `validate` draws every replicate's graph as the run will, so it refuses what `run` refuses.
    let words = ["er.json", "`topology`", "disconnected", "(replicate 2)"];
    refused(d.path(), &["validate", "er.json"], &words);
    refused(d.path(), &["run", "er.json"], &words);
    write(d.path(), "s.json", r#"{"scenario": "er.json", "seed": 3}"#);
    refused(d.path(), &["sweep", "s.json", "--out", "sw"], &["s.json: point 0", "`topology`", "(replicate 2)"]);
    assert!(!d.path().join("sw").exists(), "{:?}", names_in(&d.path().join("sw")));
}

#[test]
fn merge_does_not_write_into_its_own_shards() {
    let d = setup();
    for i in 0..2 {
        ok(d.path(), &["sweep", "sweep.json", "--out", &format!("s{i}"), "--shard", &format!("{i}/2")]);
    }
    let before = read(d.path().join("s1/runs.jsonl"));
    refused(d.path(), &["merge", "s0", "s1", "--out", "./s1/"], &["s1", "merge into a new directory"]);
    assert!(read(d.path().join("s1/runs.jsonl")) == before);
}

#[test]
fn documents_are_objects_and_a_byte_order_mark_is_read() {
    let d = setup();
    write(d.path(), "arr.json", "[]");
    refused(d.path(), &["validate", "arr.json"], &["arr.json", "expected an object"]);
    write(
        d.path(),
        "net.json",
        r#"{"topology": {"kind": "ring", "nodes": 10}, "network": [], "model": {"kind": "flooding"}}"#,
    );
    refused(d.path(), &["validate", "net.json"], &["net.json", "`network`", "expected an object"]);
    write(
        d.path(),
        "lat.json",
        r#"{"topology": {"kind": "ring", "nodes": 10}, "network": {"latency": {"kind": "uniform", "min": [], "max": 2}}, "model": {"kind": "flooding"}}"#,
    );
    refused(d.path(), &["validate", "lat.json"], &["lat.json", "`network.latency.min`"]);
    write(d.path(), "bom.json", &format!("\u{feff}{RING}"));
    assert!(ok(d.path(), &["validate", "bom.json"]).contains("ok"));
}

/// Model parameters that size a run's memory or work (issue 9, items 3 and 10): each is refused by its
/// dotted field with the allowed range, before anything is allocated, and the schema states the same bound.
#[test]
fn model_parameters_that_size_a_run_are_bounded() {
    let d = setup();
    let chord = |churn: &str| {
        format!(
            r#"{{"topology": {{"kind": "complete", "nodes": 100}}, "model": {{"kind": "chord", "lookups": 10,
            "churn": {{"rounds": 2, "lookups": 5, {churn}}}}}}}"#
        )
    };
    let on_ring = |model: &str| format!(r#"{{"topology": {{"kind": "ring", "nodes": 10}}, "model": {model}}}"#);
    let cases = [
        (chord(r#""successors": 4294967295"#), "model.churn.successors", "from 1 to 256"),
        (chord(r#""successors": 4294967295"#).replace("\"rounds\": 2", "\"rounds\": 4294967295"), "model.churn.rounds", "from 1 to 1000000"),
        (chord(r#""fix_fingers": 4294967295"#), "model.churn.fix_fingers", "at most ring.bits (32)"),
        (
            chord(r#""fix_fingers": 32, "successors": 256"#).replace("\"rounds\": 2", "\"rounds\": 1000000"),
            "model.churn.rounds",
            "more than the 500000000 a run may take",
        ),
        (chord(r#""stabilize_every": 1"#).replace("\"lookups\": 10", "\"lookups\": 4294967295"), "model.lookups", "from 0 to 10000000"),
        (
            r#"{"topology": {"kind": "transit_stub", "transit_domains": 1, "transit_per_domain": 2, "stubs_per_transit": 2,
            "stub_size": 3, "edge_probability": 0.5, "hosts": 20}, "model": {"kind": "alm", "groups": [],
            "zipf_groups": {"count": 4294967295}}}"#
                .to_owned(),
            "model.zipf_groups.count",
            "from 1 to 100000",
        ),
        (
            r#"{"topology": {"kind": "complete", "nodes": 100}, "model": {"kind": "chord", "ring": {"candidates": 0}}}"#
                .to_owned(),
            "model.ring.candidates",
            "from 1 to 256",
        ),
        (
            r#"{"topology": {"kind": "complete", "nodes": 100}, "model": {"kind": "chord", "ring": {"route": "proximity"}}}"#
                .to_owned(),
            "model.ring.route",
            "proximity needs delays",
        ),
        (
            r#"{"topology": {"kind": "transit_stub", "transit_domains": 1, "transit_per_domain": 2, "stubs_per_transit": 2,
            "stub_size": 3, "edge_probability": 0.5, "hosts": 20}, "model": {"kind": "alm",
            "groups": [{"members": "all"}], "overlay": {"kind": "chord", "candidates": 257}}}"#
                .to_owned(),
            "model.overlay.candidates",
            "from 1 to 256",
        ),
        (
            r#"{"topology": {"kind": "transit_stub", "transit_domains": 1, "transit_per_domain": 2, "stubs_per_transit": 2,
            "stub_size": 3, "edge_probability": 0.5, "hosts": 20}, "model": {"kind": "alm",
            "groups": [{"members": "all"}], "overlay": {"kind": "chord", "successor_list": 0}}}"#
                .to_owned(),
            "model.overlay.successor_list",
            "from 1 to 256",
        ),
        (on_ring(r#"{"kind": "anti_entropy", "max_rounds": 4294967295}"#), "model.max_rounds", "from 1 to 1000000"),
        (on_ring(r#"{"kind": "rumor", "max_rounds": 4294967295}"#), "model.max_rounds", "from 1 to 1000000"),
        (on_ring(r#"{"kind": "aggregation", "cycles": 4294967295}"#), "model.cycles", "from 1 to 1000000"),
        (on_ring(r#"{"kind": "death_certificates", "rounds": 4294967295}"#), "model.rounds", "from 1 to 1000000"),
        (on_ring(r#"{"kind": "death_certificates", "keys": 4294967295}"#), "model.keys", "from 1 to 16777216"),
        (on_ring(r#"{"kind": "death_certificates", "delete_spread": 4294967295}"#), "model.delete_spread", "1000000"),
        (
            on_ring(r#"{"kind": "death_certificates", "collection": {"kind": "lifetime", "rounds": 4294967295}}"#),
            "model.collection.rounds",
            "1000000",
        ),
    ];
    // Every message lost: a gossip model could spread nothing and would run all its rounds (10^6 rounds of
    // 10^4 nodes took 230 s before it was refused).
    // Fixed-length runs whose rounds × nodes (× work per turn) would take hours.
    let complete = |model: &str| on_ring(model).replace(r#""ring", "nodes": 10"#, r#""complete", "nodes": 10000"#);
    let long = [
        (complete(r#"{"kind": "aggregation", "cycles": 1000000}"#), "model.cycles", "more than the 1000000000"),
        (complete(r#"{"kind": "death_certificates", "rounds": 10000}"#), "model.rounds", "× 44 (work per turn)"),
    ];
    // Each scheduled failure is a pass over the nodes (and over every tree's members, in ALM).
    let failures = vec![r#"{"time": 1, "fraction": 0.1}"#; 1001].join(", ");
    let alm_churn = format!(
        r#"{{"topology": {{"kind": "transit_stub", "transit_domains": 1, "transit_per_domain": 2, "stubs_per_transit": 2,
        "stub_size": 3, "edge_probability": 0.5, "hosts": 20}}, "model": {{"kind": "alm", "groups": [{{"members": "all"}}],
        "timing": {{"kind": "events", "churn": {{"failures": [{failures}], "multicast_every": 10, "heartbeat": 10}}}}}}}}"#
    );
    let chord_failures = format!(
        r#"{{"topology": {{"kind": "complete", "nodes": 100}}, "model": {{"kind": "chord", "lookups": 10,
        "timing": {{"kind": "events", "failures": [{failures}]}}}}}}"#
    );
    let too_many = [
        (alm_churn, "model.timing.churn.failures", "at most 1000 failures"),
        (chord_failures, "model.timing.failures", "at most 1000 failures"),
    ];
    let lost = |model: &str| on_ring(model).replacen('{', r#"{"network": {"loss": 1}, "#, 1);
    let lossy = ["anti_entropy", "rumor", "median_counter", "aggregation", "death_certificates"]
        .map(|kind| (lost(&format!(r#"{{"kind": "{kind}"}}"#)), "network.loss", "allowed: [0, 1)"));
    for (text, field, allowed) in cases.into_iter().chain(long).chain(too_many).chain(lossy) {
        write(d.path(), "m.json", &text);
        refused(d.path(), &["validate", "m.json"], &["m.json", &format!("`{field}`"), allowed]);
    }
    let schema: serde_json::Value = serde_json::from_str(&ok(d.path(), &["schema"])).unwrap();
    let defs = &schema["$defs"];
    for (def, field, maximum) in [
        ("ChurnParams", "successors", 256),
        ("ChurnParams", "rounds", 1_000_000),
        ("ChurnParams", "fix_fingers", 64),
        ("ChurnParams", "lookups", 10_000_000),
        ("ZipfGroups", "count", 100_000),
        ("RingParams", "candidates", 256),
        ("RingParams", "successor_list", 256),
    ] {
        assert_eq!(defs[def]["properties"][field]["maximum"], maximum, "{def}.{field}: {}", defs[def]);
    }
    let model = |kind: &str| {
        let variants = defs["ModelSpec"]["oneOf"].as_array().unwrap();
        variants.iter().find(|v| v["properties"]["kind"]["const"] == kind).unwrap()["properties"].clone()
    };
    assert_eq!(model("death_certificates")["rounds"]["maximum"], 1_000_000);
    assert_eq!(model("anti_entropy")["max_rounds"]["maximum"], 1_000_000);
    assert_eq!(model("alm")["mst_limit"]["maximum"], 20_000);
}

/// `{"kind": ...}` enums of model parameters refuse unknown fields, naming them (issue 9, item 11).
#[test]
fn timings_and_collections_refuse_unknown_fields_by_name() {
    let d = setup();
    let on_complete = |model: &str| format!(r#"{{"topology": {{"kind": "complete", "nodes": 10}}, "model": {model}}}"#);
    let cases = [
        (
            r#"{"kind": "anti_entropy", "timing": {"kind": "rounds", "period": 100, "jitter": 0.5}}"#,
            "model.timing.period",
        ),
        (
            r#"{"kind": "anti_entropy", "timing": {"kind": "periodic", "period": 100, "jiter": 0.5}}"#,
            "model.timing.jiter",
        ),
        (r#"{"kind": "rumor", "timing": {"kind": "poisson", "period": "x"}}"#, "model.timing.period"),
        (r#"{"kind": "death_certificates", "collection": {"kind": "global", "rounds": 5}}"#, "model.collection.rounds"),
        (r#"{"kind": "death_certificates", "collection": {"kind": "lifetime", "round": 5}}"#, "model.collection.round"),
        (r#"{"kind": "aggregation", "timing": {"kind": "hourly"}}"#, "model.timing.kind"),
    ];
    for (model, field) in cases {
        write(d.path(), "t.json", &on_complete(model));
        refused(d.path(), &["validate", "t.json"], &["t.json", &format!("`{field}`")]);
    }
    write(d.path(), "t.json", &on_complete(r#"{"kind": "anti_entropy", "timing": {"kind": "periodic", "period": 5}}"#));
    ok(d.path(), &["validate", "t.json"]);
}

/// Event-driven periods and update times stay on the clock (issue 9, item 13): a period of 2^64 - 1 made
/// `rounds_to_convergence` 1e-11; it is refused, and the longest period allowed gives exact times.
#[test]
fn periods_beyond_the_clock_are_refused() {
    let d = setup();
    let on_complete = |model: &str| format!(r#"{{"topology": {{"kind": "complete", "nodes": 10}}, "model": {model}}}"#);
    for (model, field) in [
        (
            r#"{"kind": "anti_entropy", "timing": {"kind": "periodic", "period": 18446744073709551615}}"#,
            "model.timing.period",
        ),
        (r#"{"kind": "anti_entropy", "timing": {"kind": "poisson", "period": 4294967296}}"#, "model.timing.period"),
        (r#"{"kind": "anti_entropy", "max_rounds": 10, "updates": [{"at": 10}]}"#, "model.updates[0].at"),
    ] {
        write(d.path(), "p.json", &on_complete(model));
        refused(d.path(), &["run", "p.json"], &["p.json", &format!("`{field}`")]);
    }
    write(
        d.path(),
        "p.json",
        &on_complete(r#"{"kind": "anti_entropy", "timing": {"kind": "periodic", "period": 4294967295}}"#),
    );
    let doc: serde_json::Value = serde_json::from_str(&ok(d.path(), &["run", "p.json", "--json"])).unwrap();
    let rounds = doc["metrics"]["rounds_to_convergence"]["mean"].as_f64().unwrap();
    assert!((1.0..10.0).contains(&rounds), "{rounds}");
    let schema: serde_json::Value = serde_json::from_str(&ok(d.path(), &["schema"])).unwrap();
    assert_eq!(schema["$defs"]["Timing"]["oneOf"][1]["properties"]["period"]["maximum"], 4294967295_u64);
}

/// Scenarios whose model state dominates the process (tens of MiB), two sizes of every model and of every
/// state the estimate distinguishes: stores of many keys, event queues, graphs, underlays, churn.
const MEMORY_CASES: &[(&str, &str)] = &[
    ("flooding ring", r#"{"topology": {"kind": "ring", "nodes": N}, "model": {"kind": "flooding"}}"#),
    (
        "flooding random regular",
        r#"{"topology": {"kind": "random_regular", "nodes": N, "degree": 8}, "model": {"kind": "flooding"}}"#,
    ),
    (
        "anti-entropy, 1 key",
        r#"{"topology": {"kind": "random_regular", "nodes": N, "degree": 6}, "model": {"kind": "anti_entropy"}}"#,
    ),
    (
        "anti-entropy, 16 keys",
        r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "anti_entropy", "updates": [{"key": 0},
        {"key": 1}, {"key": 2}, {"key": 3}, {"key": 4}, {"key": 5}, {"key": 6}, {"key": 7}, {"key": 8}, {"key": 9},
        {"key": 10}, {"key": 11}, {"key": 12}, {"key": 13}, {"key": 14}, {"key": 15}]}}"#,
    ),
    (
        "anti-entropy, event-driven",
        r#"{"topology": {"kind": "complete", "nodes": N}, "network": {"latency": {"kind": "uniform", "min": 1, "max": 10}},
        "model": {"kind": "anti_entropy", "timing": {"kind": "poisson", "period": 10}}}"#,
    ),
    ("rumor", r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "rumor"}}"#),
    (
        "rumor, event-driven",
        r#"{"topology": {"kind": "complete", "nodes": N}, "network": {"latency": {"kind": "uniform", "min": 1, "max": 10}},
        "model": {"kind": "rumor", "timing": {"kind": "periodic", "period": 10, "jitter": 0.5}}}"#,
    ),
    ("median counter", r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "median_counter"}}"#),
    (
        "death certificates, 100 keys",
        r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "death_certificates", "keys": 100,
        "offline_round": 1, "outage": 4, "delete_round": 2, "delete_spread": 2, "rounds": 8}}"#,
    ),
    (
        "death certificates, event-driven",
        r#"{"topology": {"kind": "complete", "nodes": N}, "network": {"latency": {"kind": "uniform", "min": 1, "max": 10}},
        "model": {"kind": "death_certificates", "keys": 20, "offline_round": 1, "outage": 4, "delete_round": 2,
        "delete_spread": 2, "rounds": 8, "timing": {"kind": "poisson", "period": 20}}}"#,
    ),
    (
        "aggregation",
        r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "aggregation", "cycles": 10}}"#,
    ),
    (
        "aggregation, event-driven",
        r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "aggregation", "cycles": 10,
        "timing": {"kind": "periodic", "period": 10}}}"#,
    ),
    ("chord", r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "chord", "lookups": 1000}}"#),
    (
        "chord churn",
        r#"{"topology": {"kind": "complete", "nodes": N}, "model": {"kind": "chord", "lookups": 0,
        "churn": {"rounds": 3, "fail_rate": 0.01, "join_rate": 0.01, "successors": 16, "lookups": 100}}}"#,
    ),
    (
        "chord, event-driven",
        r#"{"topology": {"kind": "complete", "nodes": N}, "network": {"latency": {"kind": "uniform", "min": 1, "max": 10}},
        "model": {"kind": "chord", "lookups": 2000, "timing": {"kind": "events", "successors": 16, "stabilize_every": 200, "give_up": 500,
        "churn": {"session": {"kind": "exponential", "mean": 100000}, "join_rate": 0.01}}}}"#,
    ),
    (
        "alm",
        r#"{"topology": {"kind": "transit_stub", "hosts": 1000, "stub_size": N}, "network": {"latency": {"kind": "edge_weight"}},
        "model": {"kind": "alm", "groups": [{"members": "all"}], "zipf_groups": {"count": 20}}}"#,
    ),
];

/// Set to a scenario's text, makes [`memory_probe`] run it and print its estimate and peak.
const PROBE: &str = "DISSEM_MEMORY_PROBE";

/// VmHWM (peak resident set) of this process, in bytes.
fn peak_rss() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Runs the scenario in [`PROBE`] (one replicate, one thread) and prints `estimate peak` in bytes; does
/// nothing without it. A process of its own per scenario, so that each peak is its own.
#[test]
fn memory_probe() {
    let Ok(text) = std::env::var(PROBE) else { return };
    let registry = runner::Registry::builtin();
    let scenario = runner::parse(&text, "probe.json", &[], &registry).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let estimate = pool.install(|| {
        let prepared = runner::Prepared::new(scenario, "probe.json", &runner::NoInputs, &registry).unwrap();
        prepared.run_all(&|| ()).unwrap();
        prepared.estimated_bytes()
    });
    println!("memory-probe {estimate} {}", peak_rss());
}

/// Estimate and peak of `scenario` in a fresh process.
fn probe(scenario: &str) -> (u64, u64) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["memory_probe", "--exact", "--nocapture", "--test-threads", "1"])
        .env(PROBE, scenario)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The harness prints `test memory_probe ... ` on the same line.
    let numbers: Vec<u64> = stdout
        .split_once("memory-probe ")
        .map(|(_, rest)| rest.split_whitespace().take(2).map(|x| x.parse().unwrap()).collect())
        .unwrap_or_else(|| panic!("no probe output for {scenario}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    (numbers[0], numbers[1])
}

/// The memory guard's estimate (issue 9, item 4) is within 0.5×–2× of the measured peak (0.35× on random-regular
/// graphs, see below), beyond the peak of a 10-node run, for every model at two sizes. The estimate also sets how many replicates run at once.
#[test]
fn memory_estimates_are_within_half_and_twice_the_peak() {
    let sizes = |name: &str| -> [u64; 2] {
        match name {
            "flooding ring" => [200_000, 400_000],
            "flooding random regular" => [40_000, 80_000],
            "anti-entropy, 1 key" => [60_000, 120_000],
            "anti-entropy, 16 keys" => [10_000, 20_000],
            "anti-entropy, event-driven" => [100_000, 200_000],
            "rumor, event-driven" => [200_000, 400_000],
            "rumor" => [1_000_000, 2_000_000],
            "median counter" => [200_000, 400_000],
            "aggregation" => [400_000, 800_000],
            "aggregation, event-driven" => [100_000, 200_000],
            "death certificates, 100 keys" => [2_000, 4_000],
            "death certificates, event-driven" => [8_000, 16_000],
            "chord" => [50_000, 100_000],
            "chord churn" => [40_000, 80_000],
            "chord, event-driven" => [20_000, 40_000],
            "alm" => [10, 20],
            _ => panic!("no sizes for {name}"),
        }
    };
    let (_, baseline) = probe(RING);
    let mut table = vec![format!("{:<34} {:>9} {:>12} {:>12} {:>6}", "model", "size", "estimate", "peak", "ratio")];
    let mut wrong = Vec::new();
    for (name, template) in MEMORY_CASES {
        for n in sizes(name) {
            let (estimate, peak) = probe(&template.replace(": N", &format!(": {n}")));
            let ratio = peak.saturating_sub(baseline) as f64 / estimate as f64;
            table.push(format!("{name:<34} {n:>9} {estimate:>12} {:>12} {ratio:>6.2}", peak - baseline));
            // A random-regular graph lays out the edges of its arcs (4 bytes per arc) only if a run asks for them
            // (edge-weight latencies do); the estimate counts them, since it must bound such runs too.
            let lowest = if template.contains("random_regular") { 0.35 } else { 0.5 };
            if !(lowest..=2.0).contains(&ratio) {
                wrong.push(format!("{name} at {n}: ratio {ratio:.2}"));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(wrong.is_empty(), "estimates off: {wrong:?}\n{}", table.join("\n"));
}

/// `sweep` takes `--set`, `--seed` and `--replicates` as `run` does; they reach every point, so they are part
/// of the sweep's identity (resume and merge refuse other values), and a sweep run with them equals a sweep
/// file that says the same.
#[test]
fn sweeps_take_what_run_takes() {
    let d = setup();
    let flags = ["--set", "model.degree_rule=\"own\"", "--seed", "9", "--replicates", "3"];
    ok(d.path(), &[&["sweep", "sweep.json", "--out", "flags"], &flags[..]].concat());
    let same = SWEEP.replace(
        "\"replicates\": 6, \"seed\": 3,",
        "\"replicates\": 3, \"seed\": 9, \"set\": {\"model.degree_rule\": \"own\"},",
    );
    write(d.path(), "same.json", &same);
    ok(d.path(), &["sweep", "same.json", "--out", "file"]);
    for f in ["runs.jsonl", "summary.csv"] {
        assert!(read(d.path().join("flags").join(f)) == read(d.path().join("file").join(f)), "{f}");
    }
    let meta: serde_json::Value = serde_json::from_slice(&read(d.path().join("flags/sweep.json"))).unwrap();
    assert_eq!((&meta["sweep"]["seed"], &meta["sweep"]["replicates"]), (&serde_json::json!(9), &serde_json::json!(3)));
    assert_eq!(meta["sweep"]["points"][0]["scenario"]["model"]["degree_rule"], "own");
    // Shards run with the flags merge into the same bytes; a shard without them is another sweep.
    for i in 0..2 {
        let shard = format!("{i}/2");
        ok(d.path(), &[&["sweep", "sweep.json", "--out", &format!("s{i}"), "--shard", &shard], &flags[..]].concat());
    }
    ok(d.path(), &["merge", "s0", "s1", "--out", "merged"]);
    assert_same_dir(&d.path().join("flags"), &d.path().join("merged"));
    ok(d.path(), &["sweep", "sweep.json", "--out", "plain", "--shard", "1/2"]);
    refused(d.path(), &["merge", "s0", "plain", "--out", "mixed"], &["holds sweep"]);
    // Resume needs the same flags.
    refused(
        d.path(),
        &["sweep", "sweep.json", "--out", "flags", "--resume", "--seed", "10"],
        &["--seed", "--overwrite"],
    );
    ok(d.path(), &[&["sweep", "sweep.json", "--out", "flags", "--resume"], &flags[..]].concat());
    // What a flag cannot mean is refused by name.
    let sweep = ["sweep", "sweep.json", "--out", "never"];
    refused(d.path(), &[&sweep[..], &["--set", "model.p_flood=0.5"]].concat(), &["--set", "parameters.model.p_flood"]);
    refused(d.path(), &[&sweep[..], &["--set", "topology.nodes.x=1"]].concat(), &["--set", "topology.nodes"]);
    refused(d.path(), &[&sweep[..], &["--set", "seed=1"]].concat(), &["--set", "--seed"]);
    refused(d.path(), &[&sweep[..], &["--replicates", "0"]].concat(), &["--replicates", "1 to 100000"]);
    refused(d.path(), &[&sweep[..], &["--set", "model.p_flod=1"]].concat(), &["model.p_flod", "--set"]);
    assert!(!d.path().join("never").exists());
}

/// An existing sweep directory is replaced only when asked, and then nothing of the old sweep is left.
#[test]
fn a_sweep_directory_is_overwritten_only_when_asked() {
    let d = setup();
    ok(d.path(), &["sweep", "sweep.json", "--out", "s"]);
    refused(d.path(), &["sweep", "sweep.json", "--out", "s", "--seed", "4"], &["already holds a sweep", "--overwrite"]);
    ok(d.path(), &["sweep", "sweep.json", "--out", "s", "--seed", "4", "--overwrite"]);
    ok(d.path(), &["sweep", "sweep.json", "--out", "fresh", "--seed", "4"]);
    assert_same_dir(&d.path().join("fresh"), &d.path().join("s"));
    let (code, err) = fails(d.path(), &["sweep", "sweep.json", "--out", "s", "--overwrite", "--resume"]);
    assert!(code == 2 && err.contains("--resume") && err.contains("--overwrite"), "{err}");
}

/// A file of another kind gets the command that reads it, not a list of unknown fields.
#[test]
fn run_and_sweep_name_the_command_a_file_needs() {
    let d = setup();
    refused(d.path(), &["run", "sweep.json"], &["sweep.json: is a sweep file", "dissem sweep sweep.json --out DIR"]);
    refused(d.path(), &["validate", "sweep.json"], &["is a sweep file", "`dissem validate` reads a scenario file"]);
    refused(
        d.path(),
        &["sweep", "ring.json", "--out", "x"],
        &["ring.json: is a scenario file", "`dissem run ring.json`"],
    );
    let item = workspace().join("sweeps/reproduce/flooding-p-flood.json");
    let words = ["is a reproduce item", "dissem reproduce flooding-p-flood --items "];
    refused(d.path(), &["run", item.to_str().unwrap()], &words);
    // A scenario with a mistake still gets its own error.
    write(d.path(), "typo.json", &RING.replace("\"model\"", "\"modle\""));
    refused(d.path(), &["run", "typo.json"], &["typo.json", "modle"]);
}

/// The table `dissem sweep` prints by default stays within 100 columns and says where the other metrics
/// are; `--wide` prints them all.
#[test]
fn sweep_tables_are_narrow_unless_asked() {
    let d = setup();
    let narrow = ok(d.path(), &["sweep", "sweep.json", "--out", "n"]);
    let table: Vec<&str> = narrow.lines().take_while(|l| !l.starts_with('(')).collect();
    assert!(table.iter().all(|l| l.chars().count() <= 100), "{narrow}");
    insta::assert_snapshot!("narrow_sweep_table", narrow.replace(&d.path().display().to_string(), "TMP"));
    let wide = ok(d.path(), &["sweep", "sweep.json", "--out", "w", "--wide"]);
    assert!(wide.lines().next().unwrap().contains("reached_90pct") && !wide.contains("--wide"), "{wide}");
    let merged = ok(d.path(), &["merge", "n", "--out", "m", "--wide"]);
    assert_eq!(merged.lines().next(), wide.lines().next());
}

/// Flooding on a disconnected graph covers the source's component with the exact count of that part, and
/// `validate` says how the graphs are connected: a fixed one, and every random draw.
#[test]
fn disconnected_graphs_are_flooded_and_validated() {
    let d = setup();
    let two = r#"{"replicates": 5, "topology": {"kind": "edges", "edges": ["a b", "b c", "c a", "d e", "e f", "f g",
        "g d", "d f"]}, "model": {"kind": "flooding", "source": "a"}}"#;
    write(d.path(), "two.json", two);
    let report = ok(d.path(), &["run", "two.json"]);
    insta::assert_snapshot!("flooding_a_small_component", report);
    let validated = ok(d.path(), &["validate", "two.json"]);
    assert_eq!(validated.lines().nth(1), Some("topology: disconnected, 2 components, the largest has 4 of 7 nodes"));
    let er = r#"{"seed": 2, "replicates": 40, "topology": {"kind": "erdos_renyi", "nodes": 30, "p": 0.15},
        "model": {"kind": "flooding"}}"#;
    write(d.path(), "er.json", er);
    insta::assert_snapshot!("validate_random_disconnected", ok(d.path(), &["validate", "er.json"]));
    let json: serde_json::Value = serde_json::from_str(&ok(d.path(), &["run", "er.json", "--json"])).unwrap();
    let mean = |m: &str| json["metrics"][m]["mean"].as_f64().unwrap();
    assert_eq!(mean("coverage_of_reachable"), 1.0);
    assert_eq!(mean("coverage"), mean("reachable"));
    assert!(mean("reachable") < 1.0, "some of the 40 draws are disconnected");
    assert!(!ok(d.path(), &["check", "er.json"]).contains("FAIL"));
}

/// An installed binary has no checkout beside it: `reproduce` and `check` say how to get the shipped files,
/// and `dissem examples` writes them, byte for byte, so that the same commands work there.
#[test]
fn an_installed_binary_writes_out_the_shipped_files() {
    let d = tempfile::tempdir().unwrap();
    refused(d.path(), &["reproduce", "--list"], &["sweeps/reproduce", "dissem examples DIR"]);
    refused(d.path(), &["check"], &["scenarios", "dissem examples DIR"]);
    ok(d.path(), &["examples", "shipped"]);
    let shipped = d.path().join("shipped");
    for top in ["scenarios", "sweeps"] {
        let ours = files_under(&workspace().join(top));
        assert!(!ours.is_empty());
        assert_eq!(files_under(&shipped.join(top)), ours, "{top}");
        for rel in &ours {
            assert!(read(workspace().join(top).join(rel)) == read(shipped.join(top).join(rel)), "{}", rel.display());
        }
    }
    let list = ok(&shipped, &["reproduce", "--list"]);
    assert!(list.contains("flooding-p-flood"), "{list}");
    assert!(ok(&shipped, &["validate", "scenarios/flooding/full-zoo-kdl.json"]).contains("ok"));
    refused(d.path(), &["examples", "shipped"], &["shipped/scenarios", "exists already"]);
}

#[test]
fn completions_and_a_man_page() {
    let d = setup();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(d.path(), &["completions", shell]);
        assert!(script.contains("memory-budget") && script.contains("overwrite"), "{shell}");
    }
    let (code, err) = fails(d.path(), &["completions", "tcsh"]);
    assert!(code == 2 && err.contains("tcsh"), "{err}");
    let man = ok(d.path(), &["man"]);
    assert!(man.starts_with(".ie") && man.contains(".TH dissem 1") && man.contains("examples"), "{man}");
}

/// The memory budget is an option: a scenario within the default 20 GiB is refused under a smaller one,
/// naming the budget and the option.
#[test]
fn the_memory_budget_is_an_option() {
    let d = setup();
    let big =
        r#"{"topology": {"kind": "random_regular", "nodes": 1000000, "degree": 8}, "model": {"kind": "flooding"}}"#;
    write(d.path(), "big.json", big);
    ok(d.path(), &["validate", "big.json", "--set", "topology.nodes=1000"]);
    refused(
        d.path(),
        &["--memory-budget", "64MiB", "validate", "big.json"],
        &["big.json", "64.0 MiB budget", "--memory-budget"],
    );
    let (code, err) = fails(d.path(), &["run", "ring.json", "--memory-budget", "0"]);
    assert!(code == 2 && err.contains("--memory-budget") && err.contains("at least 1 byte"), "{err}");
    ok(d.path(), &["run", "ring.json", "--memory-budget", "1MiB"]);
}

/// `run --trace` writes one replicate's steps as JSON Lines, runs that replicate as `--replicate` does (same
/// table), cuts the trace at `--trace-limit` with a last line counting what was left out, and refuses models
/// without a trace before writing anything.
#[test]
fn traces_are_json_lines_of_one_replicate_with_a_size_guard() {
    let dir = setup();
    let alone = ok(dir.path(), &["run", "ring.json", "--replicate", "2", "--json"]);
    let traced = ok(dir.path(), &["run", "ring.json", "--replicate", "2", "--json", "--trace", "t.jsonl"]);
    let result = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap()["metrics"].clone();
    assert_eq!(result(&alone), result(&traced));
    let lines: Vec<serde_json::Value> = fs::read_to_string(dir.path().join("t.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kind = |k: &str| lines.iter().filter(|l| l["kind"] == k).count();
    // Full flooding on a ring of 60: 2|E| - (N - 1) = 61 copies, each delivered; 60 nodes informed.
    assert_eq!((kind("send"), kind("deliver"), kind("inform")), (61, 61, 60));
    assert_eq!(
        lines[0],
        serde_json::json!({"time": 0, "kind": "inform", "from": 0, "to": 0, "message": "update", "dropped": false})
    );

    let out = dissem(dir.path(), &["run", "ring.json", "--trace", "cut.jsonl", "--trace-limit", "10"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut at 10 lines"));
    let cut = fs::read_to_string(dir.path().join("cut.jsonl")).unwrap();
    assert_eq!(cut.lines().count(), 11);
    assert_eq!(cut.lines().last().unwrap(), r#"{"kind":"truncated","limit":10,"omitted":172}"#);

    let chord = r#"{"topology": {"kind": "complete", "nodes": 64}, "model": {"kind": "chord", "lookups": 10}}"#;
    write(dir.path(), "chord.json", chord);
    let (code, err) = fails(dir.path(), &["run", "chord.json", "--trace", "none.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("model.kind") && err.contains("chord"), "{err}");
    assert!(!dir.path().join("none.jsonl").exists());
    let (code, err) = fails(dir.path(), &["run", "ring.json", "--trace", "no/such/dir/t.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
}

/// `draw` writes the three pictures of a spread (and the overlay SVG for ALM), and refuses topologies too large
/// to draw without writing anything.
#[test]
fn draw_writes_pictures_of_the_spread() {
    let dir = setup();
    let listed = ok(dir.path(), &["draw", "ring.json", "--out", "pictures"]);
    assert_eq!(listed.lines().count(), 3);
    let graphml = fs::read_to_string(dir.path().join("pictures/spread.graphml")).unwrap();
    assert_eq!(graphml.matches("<node ").count(), 60);
    assert_eq!(graphml.matches(">source<").count(), 1);
    assert_eq!(graphml.matches(">reached<").count(), 59);
    assert!(fs::read_to_string(dir.path().join("pictures/spread.dot")).unwrap().starts_with("graph spread {"));
    // Self-contained: the only address in the page is the SVG namespace.
    let page = fs::read_to_string(dir.path().join("pictures/spread.html")).unwrap();
    assert_eq!(page.matches("http").count(), page.matches("http://www.w3.org/2000/svg").count());

    let alm = workspace().join("scenarios/alm/lecture-costs.json");
    ok(dir.path(), &["draw", alm.to_str().unwrap(), "--out", "alm"]);
    let svg = fs::read_to_string(dir.path().join("alm/overlay.svg")).unwrap();
    assert!(svg.contains("aria-label=\"7  ×2\""), "the lecture's link Ra-Rb (delay 7) carries the message twice");

    let (code, err) = fails(dir.path(), &["draw", "ring.json", "--set", "topology.nodes=6000", "--out", "big"]);
    assert_eq!(code, 2);
    assert!(err.contains("topology") && err.contains("5000"), "{err}");
    assert!(!dir.path().join("big").exists());
}
