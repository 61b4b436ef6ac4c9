"""Language-free plumbing shared by the readers of every language: folding, phrase matching,
negation, the one-reading rules for numbers, and the clock arithmetic of callbacks."""
