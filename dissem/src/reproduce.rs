//! `dissem reproduce`: runs the sweep of each lecture item and writes its page, data and plots.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use exporters::reproduce::{
    INDEX_TITLE, IndexEntry, Item, RETEST_FACTOR, Retest, index, parse_item, render_item, retest_points,
};

use runner::{MAX_REPLICATES, Registry};

use crate::cli::{Failure, out};
use crate::files::{read_text, write_artifacts};
use crate::sweep::{Loaded, Planned};

/// Where `reproduce` looks for items unless told (`--items`).
pub const DEFAULT_ITEMS: &str = "sweeps/reproduce";

/// The item files under `dir`, sorted by name: (name, path); `program` names the command in errors.
fn item_files(dir: &Path, program: &str) -> Result<Vec<(String, PathBuf)>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::Input(if e.kind() == std::io::ErrorKind::NotFound && dir == Path::new(DEFAULT_ITEMS) {
            crate::shipped::missing_default(DEFAULT_ITEMS, program, "`--items DIR`")
        } else {
            format!("{}: {e}", dir.display())
        })
    })?;
    let mut items = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Failure::Input(format!("{}: {e}", dir.display())))?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            items.push((name, path));
        }
    }
    if items.is_empty() {
        return Err(Failure::Input(format!("{}: no item files (*.json) in this directory", dir.display())));
    }
    items.sort();
    Ok(items)
}

fn load_item(path: &Path) -> Result<Item, Failure> {
    let origin = path.display().to_string();
    let text = read_text(path).map_err(Failure::Input)?;
    // parse_item reads the text as serde_json does, keeping the last of two equal keys; refuse those first.
    runner::json::parse(&text).map_err(|e| {
        let at = if e.path.is_empty() { String::new() } else { format!("field `{}`: ", e.path) };
        Failure::Input(format!("{origin}: {at}not valid JSON: {}", e.message))
    })?;
    parse_item(&text, &origin).map_err(|e| Failure::Input(e.to_string()))
}

/// `reproduce`: runs the sweep of every item under `items_dir` (or of item `name` alone) and writes their
/// pages and the index into `out_dir`, all or nothing; `list` only lists the items. `program` is the
/// command the pages name (the binary's name, as `main_with` was given it).
pub fn reproduce(
    name: Option<&str>,
    list: bool,
    out_dir: &Path,
    items_dir: &Path,
    program: &str,
    registry: &Registry,
) -> Result<(), Failure> {
    let files = item_files(items_dir, program)?;
    let items: Vec<(String, PathBuf, Item)> =
        files.into_iter().map(|(n, p)| load_item(&p).map(|i| (n, p, i))).collect::<Result<_, _>>()?;
    if list {
        let rows: Vec<Vec<String>> = items.iter().map(|(n, _, i)| vec![n.clone(), i.title.clone()]).collect();
        return out(&exporters::text::table(&["item", "title"], &rows));
    }
    check_owned(out_dir)?;
    let selected: Vec<&(String, PathBuf, Item)> = match name {
        Some(n) => {
            let found = items.iter().find(|(m, _, _)| m == n).ok_or_else(|| {
                let names: Vec<&str> = items.iter().map(|(m, _, _)| m.as_str()).collect();
                Failure::Input(format!("no item `{n}` in {}; items: {}", items_dir.display(), names.join(", ")))
            })?;
            vec![found]
        }
        None => items.iter().collect(),
    };
    // Every page is rendered before any is written, and all are written together: a failing item leaves
    // the folder as it was.
    let mut artifacts = Vec::new();
    let mut lines = String::new();
    // Every selected item's sweep is read and expanded before any runs: a bad one stops at once, naming its item.
    let mut loaded = selected
        .iter()
        .map(|(_, path, item)| {
            let sweep_path = normalize(&path.parent().unwrap_or(Path::new("")).join(&item.sweep));
            let planned =
                Planned::read(&sweep_path, runner::sweep::CommandLine::default(), registry).map_err(|f| match f {
                    Failure::Input(m) => Failure::Input(format!("{}: field `sweep`: {m}", path.display())),
                    other => other,
                })?;
            Ok((sweep_path, planned.expand()?))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    // Every item's sweep is held until the end: each runs beside the others' points.
    let held: u64 = loaded.iter().map(|(_, l)| l.held()).sum();
    for (_, l) in &mut loaded {
        l.hold_beside(held - l.held());
    }
    for ((name, _, item), (sweep_path, mut loaded)) in selected.iter().zip(loaded) {
        let reports = run_points(&mut loaded, name)?;
        // A point whose statistical check failed runs again on a seed of its own (the page's verdict rule).
        let failed = retest_points(&reports);
        let retests = if failed.is_empty() {
            Vec::new()
        } else {
            let mut again =
                loaded.retest(&failed, RETEST_FACTOR.saturating_mul(loaded.sweep.replicates).min(MAX_REPLICATES));
            let again = run_points(&mut again, &format!("{name} (re-test)"))?;
            failed.into_iter().zip(again).map(|(point, report)| Retest { point, report }).collect()
        };
        let sweep = &loaded.sweep;
        let shown = sweep_path.display().to_string().replace('\\', "/");
        let item_files = render_item(program, name, item, &shown, sweep, &reports, &retests)
            .map_err(|e| Failure::Input(e.to_string()))?;
        lines += &format!("{name}: {} files in {}\n", item_files.len(), out_dir.join(name).display());
        artifacts.extend(item_files);
    }
    let entries: Vec<IndexEntry> = items.iter().map(|(n, _, i)| IndexEntry::of(n, i)).collect();
    artifacts.push(index(&entries, program));
    write_artifacts(out_dir, &artifacts).map_err(Failure::Input)?;
    let written: BTreeSet<PathBuf> = artifacts.iter().map(|a| PathBuf::from(&a.path)).collect();
    // One item redone: only its own folder is swept; all of them: the whole output folder.
    let swept: Vec<PathBuf> = match name {
        Some(n) => vec![out_dir.join(n)],
        None => vec![out_dir.to_owned()],
    };
    for dir in swept {
        remove_unwritten(out_dir, &dir, &written)?;
    }
    out(&lines)
}

/// Runs every point of a loaded sweep: one report per point.
fn run_points(loaded: &mut Loaded, name: &str) -> Result<Vec<runner::RunReport>, Failure> {
    let (sweep, points) = loaded.prepare()?;
    let runs = sweep.runs(None);
    let bar = crate::cli::progress_bar(runs.len(), name);
    let mut rows = Vec::new();
    let result = sweep.execute(&points, runs, &mut |row| {
        rows.push(row);
        bar.inc(1);
        Ok(())
    });
    bar.finish_and_clear();
    result.map_err(|e| Failure::Input(format!("item {name}: {e}")))?;
    sweep.point_reports(rows).map_err(|m| Failure::Run(format!("item {name}: {m}")))
}

/// `reproduce` owns its output folder: it writes only into a new or empty folder, or one whose index says
/// that `reproduce` wrote it, so that removing what it did not write cannot touch anything else.
fn check_owned(out: &Path) -> Result<(), Failure> {
    let empty = std::fs::read_dir(out).map_or(true, |mut entries| entries.next().is_none());
    let ours = std::fs::read_to_string(out.join("README.md")).is_ok_and(|t| t.starts_with(INDEX_TITLE));
    if empty || ours {
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "{}: holds files that `dissem reproduce` did not write; give an empty or new folder with --out",
            out.display()
        )))
    }
}

/// Removes every file under `dir` (inside `out`) that this run did not write, and folders left empty: a
/// removed item's pages or a renamed plot do not linger.
fn remove_unwritten(out: &Path, dir: &Path, written: &BTreeSet<PathBuf>) -> Result<(), Failure> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let io = |p: &Path, e: std::io::Error| Failure::Input(format!("{}: cannot remove: {e}", p.display()));
    for entry in entries {
        let path = entry.map_err(|e| io(dir, e))?.path();
        if path.is_dir() {
            remove_unwritten(out, &path, written)?;
            if std::fs::read_dir(&path).map_err(|e| io(&path, e))?.next().is_none() {
                std::fs::remove_dir(&path).map_err(|e| io(&path, e))?;
            }
        } else if !path.strip_prefix(out).is_ok_and(|rel| written.contains(rel)) {
            std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
        }
    }
    Ok(())
}

/// Removes `.` and `dir/..` pairs so pages show `sweeps/flooding/x.json`, not `sweeps/reproduce/../flooding/x.json`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
