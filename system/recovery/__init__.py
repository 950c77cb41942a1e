"""Recovery tools that repair what constraints should have prevented."""
