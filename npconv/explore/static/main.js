// npconv explore: start the page once every script has loaded.
"use strict";
Explore.start();
