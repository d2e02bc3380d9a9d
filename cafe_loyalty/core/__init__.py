"""The shared kernel every app may import: money, problem details, keyed
hashing, the rule cache, the read-only admin base and the staff role names.

It imports no app and nothing else of `cafe_loyalty`, so it sits below
`members`, `campaigns` and `payments` (see DESIGN.md "Layers")."""
