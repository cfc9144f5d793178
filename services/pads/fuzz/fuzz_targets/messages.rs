//! A pad connection's messages, decoded and applied as a room does (see
//! `maille_pads::live::fuzzing`). A panic caught by the pads' own guards is no finding: the
//! room handles it; one that escapes them, or a broken property, is.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // libfuzzer-sys aborts on any panic, even one the document's guards catch and handle;
        // only those that escape the guards count (they reach fuzz_target! and abort there).
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        if let Err(failed) = maille_pads::live::fuzzing::exercise(data) {
            eprintln!("property broken: {failed}");
            std::process::abort();
        }
    }
);
