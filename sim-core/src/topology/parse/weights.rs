//! Link weights of files whose nodes may carry coordinates (GraphML, GML): hops, or the great-circle distance
//! between the nodes as a propagation delay.

use std::fmt::Display;

use super::Links;

/// Mean Earth radius (IUGG), km.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Propagation speed at 2/3 of the speed of light, km per µs.
const KM_PER_US: f64 = 299_792.458 * 2.0 / 3.0 / 1e6;

/// How link weights are derived from a GraphML or GML file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkWeights {
    /// Every link weighs 1.
    Hops,
    /// Great-circle distance between the nodes' `Latitude`/`Longitude` data, as propagation delay in
    /// microseconds at 2/3 c, at least 1. A node without coordinates is an error that names it.
    Distance,
}

impl LinkWeights {
    /// What the loader did, for the report's notes.
    pub(super) fn note(self) -> String {
        match self {
            LinkWeights::Hops => "weights: every link weighs 1 (hops)".to_string(),
            LinkWeights::Distance => "weights: great-circle distance between the nodes' coordinates, as \
                                      propagation delay in µs at 2/3 c (at least 1)"
                .to_string(),
        }
    }
}

/// A node's place from its `Latitude` and `Longitude` as the file writes them (trimmed, None if absent), or
/// what is wrong with them; `node` names the node in the message.
pub(super) fn place(node: impl Display, latitude: Option<&str>, longitude: Option<&str>) -> Result<(f64, f64), String> {
    let degrees = |text: Option<&str>, name, limit: f64| match text {
        None => {
            Err(format!("node {node} has no {name}; distance weights need coordinates on every node (use hop weights)"))
        }
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|x| x.abs() <= limit)
            .ok_or_else(|| format!("node {node}: {name} `{t}` is not a number in [-{limit}, {limit}]")),
    };
    Ok((degrees(latitude, "Latitude", 90.0)?, degrees(longitude, "Longitude", 180.0)?))
}

/// Weighs every link by the delay between the places of its ends (`places[v]` is node v's).
pub(super) fn weigh(links: &mut Links, places: &[(f64, f64)]) {
    if let Some(weights) = &mut links.weights {
        for (weight, &(u, v)) in weights.iter_mut().zip(&links.endpoints) {
            *weight = delay_us(places[u as usize], places[v as usize]);
        }
    }
}

/// Great-circle (haversine) distance as a delay in whole microseconds, at least 1.
fn delay_us((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> u32 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let (dphi, dlambda) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    let km = 2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin();
    ((km / KM_PER_US).round() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coincident_nodes_still_get_a_positive_delay() {
        assert_eq!(delay_us((10.0, 10.0), (10.0, 10.0)), 1);
    }

    #[test]
    fn places_are_checked_and_named() {
        assert_eq!(place("a", Some("-90"), Some("180")), Ok((-90.0, 180.0)));
        assert_eq!(
            place("7 (Atlantis)", None, Some("0")).unwrap_err(),
            "node 7 (Atlantis) has no Latitude; distance weights need coordinates on every node (use hop weights)"
        );
        for (lat, lon, wrong) in [("NaN", "0", "Latitude `NaN`"), ("0", "inf", "Longitude `inf`"), ("0", "x", "`x`")] {
            let err = place("b", Some(lat), Some(lon)).unwrap_err();
            assert!(err.starts_with("node b: ") && err.contains(wrong), "{err}");
        }
    }
}
