#include "controller/clock.h"

namespace ctrl {

RealClock& RealClock::instance() {
  static RealClock clock;
  return clock;
}

}  // namespace ctrl
