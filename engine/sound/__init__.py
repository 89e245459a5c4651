"""Sound: kits (soundfonts), the FluidSynth renderer and audio encoding."""
