// Every operation module registers itself on import; this list is where they are switched on.
import './validate.js';
