import { Controller, Get } from '@nestjs/common';

/** Liveness probe: listed in `ignoreRoutes`, so it produces no spans. */
@Controller('health')
export class HealthController {
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
