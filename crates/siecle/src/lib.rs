//! Parsers and writers for the SIECLE (Base Élèves Établissement) exchange formats.
