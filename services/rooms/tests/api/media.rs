//! Media tests come next.
