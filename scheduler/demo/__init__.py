"""`moocx demo`: local stand-ins for partner platforms and the offline demo run."""
