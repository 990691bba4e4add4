// `wansteer overlay keygen|hub-config ...`: the overlay's operator commands, which touch no traffic (key files and
// the hub's configuration). Built into the wansteer program only (it links boost::program_options).
#pragma once

namespace wansteer {

// argv[0] is "overlay", argv[1] the subcommand. Returns the exit status: 0 done, 1 failed (message on stderr),
// 2 bad command line.
int run_overlay_command(int argc, char** argv);

}  // namespace wansteer
