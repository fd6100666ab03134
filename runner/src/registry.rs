//! The models a scenario may name: `model.kind` tags, the JSON Schema of their parameters, dispatch and the
//! memory guard all come from one [`Registry`]. dissem's own models are [`Registry::builtin`]; a program
//! built on dissem adds its own with [`Registry::with`] and gets scenario files, sweeps, checks and plots
//! for them exactly as for the built-in ones.

use std::sync::Arc;

use models::{Env, MetricDoc, Model, ModelError, Outcome, Size};
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::spec::ModelSpec;

/// The models scenarios may use, in the order `dissem schema` lists them.
#[derive(Clone, Default)]
pub struct Registry {
    models: Vec<Arc<dyn DynModel>>,
}

impl Registry {
    /// A registry without models (add them with [`Registry::with`]).
    pub fn new() -> Self {
        Registry::default()
    }

    /// Every model of the `models` crate.
    pub fn builtin() -> Self {
        use models::epidemic::rumor::Rumor;
        use models::epidemic::{aggregation::Aggregation, anti_entropy::AntiEntropy, death::DeathCertificates};
        Registry::new()
            .with(models::flooding::Flooding)
            .with(AntiEntropy)
            .with(Rumor)
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
        root
    }
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
    fn run(&self, seed: u64, run: u64) -> Outcome;
}

struct Entry<M>(Arc<M>);

struct Ready<M: Model> {
    model: Arc<M>,
    prepared: M::Prepared,
}

impl<M: Model> Runnable for Ready<M> {
    fn run(&self, seed: u64, run: u64) -> Outcome {
        let outcome = self.model.run(&self.prepared, seed, run);
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
        Ok(Box::new(Ready { model: Arc::clone(&self.0), prepared }))
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

    #[test]
    #[should_panic(expected = "two models are registered as kind \"flooding\"")]
    fn a_kind_is_registered_once() {
        let _ = Registry::builtin().with(models::flooding::Flooding);
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
    }
}
