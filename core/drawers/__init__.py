"""Cash drawer sessions: open with a counted float, take cash against the drawer, close blind, post
over/short, move cash to and from the vault, report the day, flag large cash for a CTR."""
