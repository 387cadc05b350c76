import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const SKU = /^[A-Z]{2,8}-\d{3}$/;

/** Normalises a SKU route parameter (`book-001` → `BOOK-001`) and rejects malformed ones. */
@Injectable()
export class SkuPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const sku = value.trim().toUpperCase();
    if (!SKU.test(sku)) {
      throw new BadRequestException(`"${value}" is not a SKU (expected e.g. BOOK-001)`);
    }
    return sku;
  }
}
