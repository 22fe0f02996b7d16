//! Gives the application its snapshot name (`env!("PITHY_SNAPSHOT")`) and re-runs the
//! image checks when a context directory changes.
fn main() {
    pj_image::build::run();
}
