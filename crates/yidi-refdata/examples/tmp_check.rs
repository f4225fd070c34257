fn main() {
    for dir in std::env::args().skip(1) {
        match yidi_refdata::load_pack(std::path::Path::new(&dir)) {
            Ok(pack) => println!(
                "{dir}: ok, {} persons, {} policies",
                pack.persons.len(),
                pack.refdata.policies.len()
            ),
            Err(problems) => {
                for p in problems {
                    println!("{p}");
                }
            }
        }
    }
}
