//! The models a scenario may name: `model.kind` tags, the JSON Schema of their parameters, dispatch and the
//! memory guard all come from one [`Registry`]. dissem's own models are [`Registry::builtin`]; a program
//! built on dissem adds its own with [`Registry::with`] and gets scenario files, sweeps, checks and plots
//! for them exactly as for the built-in ones.

use std::sync::Arc;

use models::{Env, MetricDoc, Model, ModelError, Outcome, Progress, Size};
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};
use sim_core::trace::Sink;

use crate::spec::ModelSpec;

/// The models scenarios may use, in the order `dissem schema` lists them, and the memory budget their runs
/// are held to.
#[derive(Clone)]
pub struct Registry {
    models: Vec<Arc<dyn DynModel>>,
    memory_budget: u64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { models: Vec::new(), memory_budget: crate::run::MEMORY_BUDGET_BYTES }
    }
}

impl Registry {
    /// A registry without models (add them with [`Registry::with`]).
    pub fn new() -> Self {
        Registry::default()
    }

    /// The same models, with runs held to `bytes` of estimated memory: a scenario whose one run needs more
    /// is refused before anything is allocated, and no more runs go at once than fit (default
    /// [`MEMORY_BUDGET_BYTES`](crate::MEMORY_BUDGET_BYTES)).
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// The memory budget of runs, in bytes.
    pub fn memory_budget(&self) -> u64 {
        self.memory_budget
    }

    /// Every model of the `models` crate.
    pub fn builtin() -> Self {
        use models::epidemic::rumor::Rumor;
        use models::epidemic::{aggregation::Aggregation, anti_entropy::AntiEntropy, death::DeathCertificates};
        Registry::new()
            .with(models::flooding::Flooding)
            .with(AntiEntropy)
            .with(Rumor)
            .with(models::epidemic::median_counter::MedianCounterModel)
            .with(DeathCertificates)
            .with(Aggregation)
            .with(models::chord::Chord)
            .with(models::alm::Alm)
    }

    /// Adds `model` under its [`Model::KIND`].
    ///
    /// # Panics
    /// If a model of the same kind is registered already: two models cannot share a tag.
    pub fn with<M: Model>(mut self, model: M) -> Self {
        assert!(self.find(M::KIND).is_none(), "two models are registered as kind \"{}\"", M::KIND);
        self.models.push(Arc::new(Entry(Arc::new(model))));
        self
    }

    /// The registered `model.kind` tags, in registration order.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.models.iter().map(|m| m.kind()).collect()
    }

    /// The description ([`Model::ABOUT`]) and declared outputs ([`Model::METRICS`]) of the model registered
    /// as `kind`, or an error listing the known kinds.
    pub fn documentation(&self, kind: &str) -> Result<(&'static str, &'static [MetricDoc]), String> {
        self.get(kind).map(|m| (m.about(), m.metrics()))
    }

    fn find(&self, kind: &str) -> Option<&Arc<dyn DynModel>> {
        self.models.iter().find(|m| m.kind() == kind)
    }

    /// The model named by `spec`, or an error (for the field `model.kind`) listing the known kinds.
    pub(crate) fn get(&self, kind: &str) -> Result<&Arc<dyn DynModel>, String> {
        self.find(kind).ok_or_else(|| {
            let known: Vec<String> = self.kinds().iter().map(|k| format!("\"{k}\"")).collect();
            format!("unknown kind \"{}\"; expected one of {}", crate::error::shorten(kind), known.join(", "))
        })
    }

    /// Replaces `spec.params` by the model's typed reading of them written back (defaults filled in), so
    /// that two spellings of the same parameters are the same scenario. Errors: (field, message), the field
    /// relative to the scenario root.
    pub(crate) fn normalize(&self, spec: &mut ModelSpec) -> Result<(), (String, String)> {
        let model = self.get(&spec.kind).map_err(|m| ("model.kind".to_owned(), m))?;
        spec.params = model.normalize(std::mem::take(&mut spec.params)).map_err(|(path, m)| {
            let field = if path == "." { "model".to_owned() } else { format!("model.{path}") };
            (field, m)
        })?;
        Ok(())
    }

    /// The JSON Schema of scenario files: the scenario format with one `model` variant per registered model.
    pub fn schema(&self) -> Schema {
        let mut generator = SchemaGenerator::default();
        let mut root = generator.root_schema_for::<crate::spec::Scenario>();
        let variants: Vec<Value> = self.models.iter().map(|m| m.schema(&mut generator).to_value()).collect();
        let defs = root.ensure_object().entry("$defs").or_insert_with(|| json!({}));
        if let Value::Object(defs) = defs {
            for (name, schema) in generator.take_definitions(true) {
                defs.entry(name).or_insert(schema);
            }
            defs.insert(
                "ModelSpec".into(),
                json!({"description": "The protocol and its parameters.", "oneOf": variants}),
            );
        }
        let mut root = root.to_value();
        let defs = root["$defs"].clone();
        describe(&mut root, &defs);
        Schema::try_from(root).expect("the schema is an object")
    }
}

/// Makes every property of `node` (and below) described, with descriptions as users read them: a `kind`
/// tag says which variant it selects, a property that only refers to a definition takes the definition's
/// description, and rustdoc links (``[`x`]``, `[x](target)`) become their text.
pub(crate) fn describe(node: &mut Value, defs: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = plain(text);
            }
            // A variant written as a one-field object (`{"count": 5}`) is described by the variant's text.
            let variant = map.get("description").and_then(Value::as_str).map(plain);
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                let single = properties.len() == 1;
                for (name, property) in properties.iter_mut() {
                    let Value::Object(p) = property else { continue };
                    if p.contains_key("description") {
                        continue;
                    }
                    let described = match (name.as_str(), p.get("const"), p.get("$ref")) {
                        ("kind", Some(Value::String(tag)), _) => Some(format!("`{tag}` selects this variant.")),
                        (_, _, Some(Value::String(target))) => {
                            target.strip_prefix("#/$defs/").and_then(|def| defs[def]["description"].as_str()).map(plain)
                        }
                        _ if single => variant.clone(),
                        _ => None,
                    };
                    if let Some(text) = described {
                        p.insert("description".into(), Value::String(text));
                    }
                }
            }
            map.values_mut().for_each(|v| describe(v, defs));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| describe(v, defs)),
        _ => {}
    }
}

/// `text` with rustdoc links replaced by their text (``[`x`]`` → `` `x` ``, `[x](target)` → `x`; other
/// brackets, `[min, max]`, stay) and the line breaks of a doc comment joined (paragraph breaks stay).
fn plain(text: &str) -> String {
    let joined = text.split("\n\n").map(|p| p.replace('\n', " ")).collect::<Vec<_>>().join("\n\n");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after[..close];
        let tail = &after[close + 1..];
        let code = inner.len() >= 2 && inner.starts_with('`') && inner.ends_with('`');
        if let Some(target) = tail.strip_prefix('(').and_then(|t| t.find(')').map(|end| &t[end + 1..])) {
            out.push_str(inner);
            rest = target;
        } else if code {
            out.push_str(inner);
            rest = tail;
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds()).finish()
    }
}

/// A model behind its parameters' JSON form.
pub(crate) trait DynModel: Send + Sync {
    fn kind(&self) -> &'static str;
    fn about(&self) -> &'static str;
    fn metrics(&self) -> &'static [MetricDoc];
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema;
    /// Reads and writes back the parameters; errors: (path within them, message).
    fn normalize(&self, params: Map<String, Value>) -> Result<Map<String, Value>, (String, String)>;
    fn estimated_bytes(&self, params: &Map<String, Value>, size: &Size) -> u64;
    fn prepare(&self, params: &Map<String, Value>, env: &Env) -> Result<Box<dyn Runnable>, ModelError>;
}

/// A model prepared on one environment, ready for any (seed, run).
pub(crate) trait Runnable: Send + Sync {
    /// The run, telling `progress` how far it has got ([`Model::run_observed`]).
    fn run(&self, seed: u64, run: u64, progress: &dyn Progress) -> Outcome;
    /// [`Model::run_traced`]: `None` if the model has no trace.
    fn run_traced(&self, seed: u64, run: u64, sink: &mut dyn Sink) -> Option<Outcome>;
    /// The environment the model was prepared on.
    fn env(&self) -> &Env;
}

struct Entry<M>(Arc<M>);

struct Ready<M: Model> {
    model: Arc<M>,
    prepared: M::Prepared,
    env: Env,
}

impl<M: Model> Ready<M> {
    fn checked(outcome: Outcome) -> Outcome {
        // What `dissem metrics` prints must be what runs emit: every debug run (tests, CI's `dissem check`)
        // checks it.
        debug_assert!(
            M::METRICS.is_empty() || models::outcome::undeclared(M::METRICS, &outcome).is_empty(),
            "model \"{}\" emits outputs its METRICS does not declare: {:?}",
            M::KIND,
            models::outcome::undeclared(M::METRICS, &outcome)
        );
        outcome
    }
}

impl<M: Model> Runnable for Ready<M> {
    fn run(&self, seed: u64, run: u64, progress: &dyn Progress) -> Outcome {
        Self::checked(self.model.run_observed(&self.prepared, seed, run, progress))
    }

    fn run_traced(&self, seed: u64, run: u64, sink: &mut dyn Sink) -> Option<Outcome> {
        self.model.run_traced(&self.prepared, seed, run, sink).map(Self::checked)
    }

    fn env(&self) -> &Env {
        &self.env
    }
}

impl<M: Model> Entry<M> {
    fn typed(params: &Map<String, Value>) -> Result<M::Params, (String, String)> {
        crate::json::from_value(Value::Object(params.clone()))
    }
}

impl<M: Model> DynModel for Entry<M> {
    fn kind(&self) -> &'static str {
        M::KIND
    }

    fn about(&self) -> &'static str {
        M::ABOUT
    }

    fn metrics(&self) -> &'static [MetricDoc] {
        M::METRICS
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Schema {
        let mut schema = <M::Params as schemars::JsonSchema>::json_schema(generator);
        let object = schema.ensure_object();
        object.insert("description".into(), json!(M::ABOUT));
        let mut properties = Map::new();
        properties.insert("kind".into(), json!({"type": "string", "const": M::KIND}));
        if let Some(Value::Object(own)) = object.remove("properties") {
            properties.extend(own);
        }
        object.insert("properties".into(), Value::Object(properties));
        let required = object.entry("required").or_insert_with(|| json!([]));
        if let Value::Array(required) = required {
            required.insert(0, json!("kind"));
        }
        schema
    }

    fn normalize(&self, params: Map<String, Value>) -> Result<Map<String, Value>, (String, String)> {
        let typed = Self::typed(&params)?;
        self.0.check(&typed).map_err(|e| {
            debug_assert!(!e.outside, "Model::check names fields within the parameters: {e}");
            (e.field, e.message)
        })?;
        match serde_json::to_value(typed) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err((".".into(), format!("the parameters of \"{}\" are not a JSON object", M::KIND))),
            Err(e) => Err((".".into(), e.to_string())),
        }
    }

    fn estimated_bytes(&self, params: &Map<String, Value>, size: &Size) -> u64 {
        Self::typed(params).map_or(0, |p| self.0.estimated_bytes(&p, size))
    }

    fn prepare(&self, params: &Map<String, Value>, env: &Env) -> Result<Box<dyn Runnable>, ModelError> {
        let params = Self::typed(params).map_err(|(path, message)| ModelError::new(path, message))?;
        let prepared = self.0.prepare(&params, env)?;
        Ok(Box::new(Ready { model: Arc::clone(&self.0), prepared, env: env.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in model reads `{"kind": k}` with its defaults, and its written-back parameters read
    /// back to themselves: normalising is idempotent, so sweep identities do not depend on spelling.
    #[test]
    fn every_kind_normalizes_and_round_trips() {
        let registry = Registry::builtin();
        for kind in registry.kinds() {
            let mut spec: ModelSpec = serde_json::from_value(json!({ "kind": kind })).unwrap();
            registry.normalize(&mut spec).unwrap();
            let text = serde_json::to_value(&spec).unwrap();
            assert_eq!(text["kind"], json!(kind));
            let mut again: ModelSpec = serde_json::from_value(text).unwrap();
            registry.normalize(&mut again).unwrap();
            assert_eq!(again, spec, "{kind}");
        }
    }

    #[test]
    fn unknown_kinds_and_bad_parameters_name_the_field() {
        let registry = Registry::builtin();
        let mut spec = ModelSpec { kind: "flood".into(), params: Map::new() };
        let (field, message) = registry.normalize(&mut spec).unwrap_err();
        assert_eq!(field, "model.kind");
        assert!(message.contains("\"flooding\"") && message.contains("\"alm\""), "{message}");
        let mut spec: ModelSpec = serde_json::from_value(json!({"kind": "flooding", "p_flood": "x"})).unwrap();
        assert_eq!(registry.normalize(&mut spec).unwrap_err().0, "model.p_flood");
    }

    /// A model from outside the built-in list, as a program built on dissem registers its own.
    struct Count;

    /// Parameters of [`Count`].
    #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct CountParams {
        /// Also emit a metric the model does not declare.
        #[serde(default)]
        undeclared: bool,
        /// The memory a run says it needs.
        #[serde(default)]
        state_bytes: u64,
    }

    impl Model for Count {
        const KIND: &'static str = "count";
        const ABOUT: &'static str = "Counts the nodes.";
        const METRICS: &'static [MetricDoc] = &[MetricDoc::metric("nodes", "nodes", "Nodes of the topology.", "N")];
        type Params = CountParams;
        type Prepared = models::Bound<CountParams>;

        fn prepare(&self, params: &CountParams, env: &Env) -> Result<Self::Prepared, ModelError> {
            Ok(models::Bound::new(params.clone(), env))
        }

        fn run(&self, b: &Self::Prepared, _: u64, _: u64) -> Outcome {
            let mut out = Outcome::default();
            out.metric("nodes", f64::from(b.env.topology.node_count()));
            if b.params.undeclared {
                out.metric("other", 1.0);
            }
            out
        }

        fn estimated_bytes(&self, params: &CountParams, _: &Size) -> u64 {
            params.state_bytes
        }
    }

    fn run_count(params: &str) -> Outcome {
        let registry = Registry::builtin().with(Count);
        let text = format!(r#"{{"topology": {{"kind": "ring", "nodes": 5}}, "model": {{"kind": "count"{params}}}}}"#);
        let scenario = crate::parse(&text, "t.json", &[], &registry).unwrap();
        crate::Prepared::new(scenario, "t.json", &crate::NoInputs, &registry).unwrap().run_replicate(0).unwrap()
    }

    #[test]
    fn a_registered_model_is_documented_and_held_to_its_declaration() {
        let registry = Registry::builtin().with(Count);
        assert_eq!(registry.documentation("count").unwrap(), (Count::ABOUT, Count::METRICS));
        assert!(registry.documentation("counter").unwrap_err().contains("\"count\""));
        assert_eq!(run_count("").get("nodes"), Some(5.0));
    }

    /// The memory guard names what needs the memory: the model's parameters when its state outweighs the
    /// topology.
    #[test]
    fn the_memory_guard_names_the_part_that_needs_it() {
        let registry = Registry::builtin().with(Count).with_memory_budget(1 << 30);
        let error = |topology: &str, params: &str| {
            let text = format!(r#"{{"topology": {topology}, "model": {{"kind": "count"{params}}}}}"#);
            let scenario = crate::parse(&text, "t.json", &[], &registry).unwrap();
            crate::Prepared::new(scenario, "t.json", &crate::NoInputs, &registry).err().unwrap()
        };
        let e = error(r#"{"kind": "ring", "nodes": 5}"#, r#", "state_bytes": 2000000000"#);
        assert!(e.field == "model" && e.message.contains("model parameters"), "{e}");
        let e = error(r#"{"kind": "ring", "nodes": 200000000}"#, "");
        assert!(e.field == "topology" && e.message.contains("topology.nodes"), "{e}");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "model \"count\" emits outputs its METRICS does not declare: [(Metric, \"other\")]")]
    fn an_undeclared_output_fails_a_debug_run() {
        run_count(r#", "undeclared": true"#);
    }

    #[test]
    #[should_panic(expected = "two models are registered as kind \"flooding\"")]
    fn a_kind_is_registered_once() {
        let _ = Registry::builtin().with(models::flooding::Flooding);
    }

    /// Every property a scenario or a sweep file may hold, at any depth, is described, without rustdoc link
    /// syntax.
    #[test]
    fn every_schema_property_is_described_in_plain_text() {
        fn walk(node: &Value, path: &str, missing: &mut Vec<String>) {
            match node {
                Value::Object(map) => {
                    if let Some(Value::Object(properties)) = map.get("properties") {
                        for (name, p) in properties {
                            match p["description"].as_str() {
                                Some(text) if !text.is_empty() => {
                                    assert!(!text.contains("[`") && !text.contains("]("), "{path}.{name}: {text}")
                                }
                                _ => missing.push(format!("{path}.{name}")),
                            }
                        }
                    }
                    map.iter().for_each(|(k, v)| walk(v, &format!("{path}/{k}"), missing));
                }
                Value::Array(items) => {
                    items.iter().enumerate().for_each(|(i, v)| walk(v, &format!("{path}[{i}]"), missing))
                }
                _ => {}
            }
        }
        for (name, schema) in [("scenario", Registry::builtin().schema()), ("sweep", crate::sweep::schema())] {
            let mut missing = Vec::new();
            walk(&schema.to_value(), name, &mut missing);
            assert_eq!(missing, Vec::<String>::new());
        }
    }

    #[test]
    fn rustdoc_links_become_their_text() {
        assert_eq!(plain("[`IdSpace::hash`] of the name"), "`IdSpace::hash` of the name");
        assert_eq!(plain("see [the paper](https://x.org/a) and [`Y`](crate::Y)."), "see the paper and `Y`.");
        assert_eq!(plain("a range [min, max] and [x"), "a range [min, max] and [x");
        assert_eq!(plain("one\nsentence.\n\nTwo."), "one sentence.\n\nTwo.");
    }

    #[test]
    fn schema_has_one_variant_per_model() {
        let registry = Registry::builtin();
        let schema = registry.schema().to_value();
        let variants = schema["$defs"]["ModelSpec"]["oneOf"].as_array().unwrap();
        let kinds: Vec<&str> = variants.iter().map(|v| v["properties"]["kind"]["const"].as_str().unwrap()).collect();
        assert_eq!(kinds, registry.kinds());
        assert_eq!(variants[0]["required"][0], "kind");
        assert!(schema["$defs"]["Timing"].is_object(), "nested parameter types are defined");
        // Bounds where 0 or more than 1 means nothing.
        assert_eq!(schema["properties"]["replicates"]["minimum"], 1);
        let topologies = schema["$defs"]["TopologySpec"]["oneOf"].as_array().unwrap();
        let watts_strogatz = topologies.iter().find(|t| t["properties"]["kind"]["const"] == "watts_strogatz").unwrap();
        assert_eq!(watts_strogatz["properties"]["k"]["minimum"], 2);
        assert!(topologies.iter().all(|t| t["properties"].get("nodes").is_none_or(|n| n["minimum"] == 2)));
        assert_eq!(schema["$defs"]["NetworkSpec"]["properties"]["loss"]["maximum"], 1.0);
        assert_eq!(variants[0]["properties"]["p_flood"]["maximum"], 1.0);
    }
}
