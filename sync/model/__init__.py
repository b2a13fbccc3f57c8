"""The domain at the bottom: every tab and column (schema), the tables the stages hand on, raw tabs."""
