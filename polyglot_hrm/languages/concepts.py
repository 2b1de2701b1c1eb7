"""The two tag vocabularies the cross-language mapping speaks, each tag with what it means.

* **Concepts** (:data:`CONCEPTS`) say what a solution *does*, in words that hold in every language
  (it iterates, processes strings, keeps a key -> value map, ...). A transfer example's
  ``shared_concepts`` are the concepts detected in *both* its source and its target reference.
* **Constructs** (:data:`CONSTRUCTS`) say what a language makes a solution *write* (declared types,
  a class around every function, borrowed references, returned error values, ...). A transfer
  example's ``language_challenges`` are the constructs detected in the target reference and not in
  the source reference: what the translation has to add.

Each language module gives, per tag, one regular expression (``Language.concept_patterns`` and
``Language.construct_patterns``) matched against the reference's code with comments and string
literals blanked out (:func:`polyglot_hrm.languages.lexer.masked_code`). One tag is found
without a pattern, the same way in every language: ``recursion`` (a function whose body calls it by
name). The patterns are heuristics over the text, not a parser: they say what the
code visibly uses, and a tag a language has no pattern for is never detected in it.
"""

from __future__ import annotations

__all__ = ["CONCEPTS", "CONSTRUCTS", "DETECTED_WITHOUT_PATTERN"]

CONCEPTS: dict[str, str] = {
    "iteration": "a loop, or an iterator/stream pipeline (for, while, map/filter chains, iterator adaptors)",
    "recursion": "a function that calls itself by name (found from the function spans, in every language)",
    "string_processing": "works on text character by character or with string methods (case, split, trim, "
                         "character classes, regular expressions)",
    "mapping": "a key -> value table (dict, Map, HashMap, std::map, map[K]V)",
    "sorting": "sorts a sequence",
    "modular_arithmetic": "remainder or Euclidean modulo (%, rem_euclid, floorMod, divmod)",
    "error_handling": "signals bad input or a missing result: raises/throws, or returns an error, Result, "
                      "Option or optional value",
    "higher_order_functions": "passes a function as a value (lambda, arrow function, closure, function "
                              "literal, method reference)",
}

CONSTRUCTS: dict[str, str] = {
    "static_types": "types written out on parameters, results or variables",
    "classes": "a class, struct or record type (Java needs one around every method)",
    "exceptions": "throwing or raising an exception, or catching one",
    "error_values": "a failure returned as a value the caller must check (Go's error, Rust's Result/Option, "
                    "std::optional, Optional)",
    "ownership_borrowing": "borrowed references, mutable borrows and explicit clones (Rust)",
    "pointers_references": "pointer or reference types and taking an address (C++, Go)",
    "type_parameters": "containers typed by their element type (std::vector<int>, List<Integer>, Vec<i64>, "
                       "[]int, list[int])",
    "explicit_casts": "numeric or character conversions written as casts (as u8, int64(x), static_cast, (char))",
    "headers": "declarations in a header file that the source includes (C++)",
}

#: Tags found from the code's structure rather than from a language's pattern.
DETECTED_WITHOUT_PATTERN = frozenset({"recursion"})
