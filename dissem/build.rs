//! The shipped scenarios and sweeps are embedded in the binary (`dissem examples`); rebuild when they change.

fn main() {
    println!("cargo:rerun-if-changed=../scenarios");
    println!("cargo:rerun-if-changed=../sweeps");
}
